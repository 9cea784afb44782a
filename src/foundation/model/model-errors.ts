import type { ContextLengthNumbers } from "./context-length.ts";

/**
 * The prompt does not fit the model's context (or still did not after shrinking max_tokens once).
 * The caller ends the episode with `exit_context`, or compresses history and tries again.
 */
export class ContextLengthError extends Error implements ContextLengthNumbers {
  readonly maxContextTokens: number;
  readonly promptTokens: number | null;
  readonly requestedCompletionTokens: number | null;
  constructor(
    numbers: ContextLengthNumbers,
    /** "server": a 400 from the server; "preflight": an exact /tokenize count already exceeded the context. */
    readonly source: "server" | "preflight",
    readonly attempts: number,
    /** The server's error message, or a description of the preflight check. */
    readonly serverMessage: string,
    /** The error body as received, for the trajectory. */
    readonly body: unknown = null,
  ) {
    super(
      `context length exceeded (${source}): max ${numbers.maxContextTokens} tokens, ` +
        `prompt ${numbers.promptTokens ?? "?"}, completion ${numbers.requestedCompletionTokens ?? "?"}: ${serverMessage}`,
    );
    this.name = "ContextLengthError";
    this.maxContextTokens = numbers.maxContextTokens;
    this.promptTokens = numbers.promptTokens;
    this.requestedCompletionTokens = numbers.requestedCompletionTokens;
  }

  /** Whether the prompt alone leaves room for at least one completion token. */
  get promptFits(): boolean {
    return this.promptTokens !== null && this.promptTokens < this.maxContextTokens;
  }
}

/** `stream`: an SSE error event mid-stream; `malformed`: a 200 without choices. */
export type FailureReason = "status" | "timeout" | "connection" | "stream" | "malformed";

/** Retries are exhausted on transient failures (429, 5xx, timeouts, dropped connections). The caller maps this to `exit_api`. */
export class ModelUnavailableError extends Error {
  constructor(
    readonly url: string,
    readonly attempts: number,
    readonly lastReason: FailureReason,
    /** HTTP status of the last failure, when there was a response. */
    readonly lastStatus: number | null,
    readonly lastCause: unknown,
  ) {
    const what = lastStatus !== null ? `HTTP ${lastStatus}` : lastReason;
    const detail = lastCause instanceof Error ? `: ${lastCause.message}` : "";
    super(`model server ${url} unavailable after ${attempts} attempt(s), last failure ${what}${detail}`);
    this.name = "ModelUnavailableError";
  }
}

/** A 4xx other than a context-length error or 429: retrying the same request cannot help. */
export class ModelRequestError extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
    readonly serverMessage: string,
    readonly attempts: number,
    readonly body: unknown,
  ) {
    super(`model server ${url} rejected the request with HTTP ${status}: ${serverMessage}`);
    this.name = "ModelRequestError";
  }
}

/** The configured model name is not among those /v1/models lists. */
export class ModelNotServedError extends Error {
  constructor(
    readonly url: string,
    readonly model: string,
    readonly served: string[],
  ) {
    super(`model ${JSON.stringify(model)} is not served at ${url}; served: ${served.join(", ") || "(none)"}`);
    this.name = "ModelNotServedError";
  }
}

/** The caller's AbortSignal fired (e.g. the user interrupted the turn). Never retried. */
export class ModelCallAbortedError extends Error {
  constructor(readonly attempts: number) {
    super(`model call aborted by the caller after ${attempts} attempt(s)`);
    this.name = "ModelCallAbortedError";
  }
}

/** Internal signal between one attempt and the retry loop: this failure may pass on a retry. */
export class TransientFailure extends Error {
  constructor(
    readonly reason: FailureReason,
    readonly status: number | null,
    /** Server-requested delay from Retry-After / retry-after-ms, uncapped. */
    readonly retryAfterMs: number | null,
    override readonly cause: unknown,
  ) {
    super(`transient model failure (${status ?? reason})`);
    this.name = "TransientFailure";
  }
}
