import type { RetryPolicy } from "./model-config.ts";
import { ModelCallAbortedError, ModelUnavailableError, TransientFailure } from "./model-errors.ts";

/** Full-ish jitter: a random point in the upper half of the exponential step, so parallel workers spread out. */
export function backoffDelayMs(policy: RetryPolicy, retryNumber: number, random: () => number = Math.random): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retryNumber - 1));
  return Math.round(step * (0.5 + random() * 0.5));
}

/** `retry-after-ms` (non-standard, sent by OpenAI) or `Retry-After` as seconds or an HTTP date. */
export function parseRetryAfterMs(headers: Headers | undefined, now: number = Date.now()): number | null {
  if (!headers) return null;
  const ms = headers.get("retry-after-ms");
  if (ms !== null && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Number(ms);
  const value = headers.get("retry-after");
  if (value === null || value.trim() === "") return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : null;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

export function retryDelayMs(policy: RetryPolicy, retryNumber: number, failure: TransientFailure): number {
  if (failure.retryAfterMs !== null) return Math.min(failure.retryAfterMs, policy.maxRetryAfterMs);
  return backoffDelayMs(policy, retryNumber);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export interface RetryContext {
  url: string;
  policy: RetryPolicy;
  signal?: AbortSignal | undefined;
  /** Total requests made so far by the caller (shared across retry loops of one call). */
  attempts: () => number;
}

/**
 * Runs `attempt` until it succeeds, throws something other than a TransientFailure, or
 * `policy.maxAttempts` transient failures have happened (→ ModelUnavailableError).
 */
export async function retryTransient<T>(context: RetryContext, attempt: () => Promise<T>): Promise<T> {
  for (let failures = 0; ; ) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof TransientFailure)) throw error;
      failures += 1;
      if (failures >= context.policy.maxAttempts) {
        throw new ModelUnavailableError(context.url, context.attempts(), error.reason, error.status, error.cause);
      }
      try {
        await sleep(retryDelayMs(context.policy, failures, error), context.signal);
      } catch {
        throw new ModelCallAbortedError(context.attempts());
      }
    }
  }
}
