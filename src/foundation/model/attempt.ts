import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import { errorBodyMessage, parseContextLengthMessage } from "./context-length.ts";
import { ContextLengthError, ModelCallAbortedError, ModelRequestError, TransientFailure } from "./model-errors.ts";
import { parseRetryAfterMs } from "./retry-policy.ts";

export interface AttemptOptions {
  url: string;
  /** Whole-attempt deadline: covers waiting for headers, reading the body and consuming a stream. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Requests made so far, this one included, for the errors' context. */
  attempts: number;
}

const RETRYABLE_STATUS = (status: number) => status === 408 || status === 429 || status >= 500;

/** Socket-level failures surface from undici as plain errors, not as openai error classes. */
function isDroppedConnection(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === "AbortError" || error.message === "terminated") return true;
  const code = (error as { code?: unknown }).code ?? (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && /^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|UND_ERR_)/.test(code);
}

/**
 * Translates a failed attempt into: TransientFailure (retry), ContextLengthError,
 * ModelRequestError (other 4xx), or the error itself when it is not a transport failure (a bug).
 */
export function classifyAttemptError(error: unknown, options: AttemptOptions): Error {
  if (error instanceof APIConnectionTimeoutError) return new TransientFailure("timeout", null, null, error);
  if (error instanceof APIUserAbortError) return new TransientFailure("timeout", null, null, error);
  if (error instanceof APIConnectionError) return new TransientFailure("connection", null, null, error);
  if (error instanceof APIError) {
    if (error.status === undefined) return new TransientFailure("stream", null, null, error); // an SSE `error` event
    const message = errorBodyMessage(error.error) ?? error.message;
    if (error.status === 400) {
      const numbers = parseContextLengthMessage(message);
      if (numbers) return new ContextLengthError(numbers, "server", options.attempts, message, error.error ?? null);
    }
    if (RETRYABLE_STATUS(error.status)) {
      return new TransientFailure("status", error.status, parseRetryAfterMs(error.headers), error);
    }
    return new ModelRequestError(options.url, error.status, message, options.attempts, error.error ?? null);
  }
  if (isDroppedConnection(error)) return new TransientFailure("connection", null, null, error);
  // A 200 whose JSON body is cut short or empty (openai parses it before we see it).
  if (error instanceof SyntaxError) return new TransientFailure("malformed", null, null, error);
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Runs one request under its own deadline. The openai package's timeout stops at the response
 * headers, so a server that sends headers and then stalls would otherwise hang the call.
 */
export async function runAttempt<T>(options: AttemptOptions, request: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  const forwardAbort = () => controller.abort();
  options.signal?.addEventListener("abort", forwardAbort, { once: true });
  try {
    if (options.signal?.aborted) throw new ModelCallAbortedError(options.attempts);
    const result = await request(controller.signal);
    // openai's Stream ends quietly on abort, so a timed-out stream can look like a short answer.
    if (controller.signal.aborted) throw new Error("attempt aborted");
    return result;
  } catch (error) {
    if (error instanceof ModelCallAbortedError) throw error;
    if (options.signal?.aborted) throw new ModelCallAbortedError(options.attempts);
    if (timedOut) throw new TransientFailure("timeout", null, null, error);
    throw classifyAttemptError(error, options);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", forwardAbort);
  }
}
