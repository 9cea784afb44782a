import type { EndpointEvent, EndpointFigures } from "./endpoint-figures.ts";
import { ModelClient } from "./model-client.ts";
import type { ModelConfigInput } from "./model-config.ts";
import type { TransientFailure } from "./model-errors.ts";
import type { ModelCallResult } from "./model-result.ts";

export interface ReplicaHealthPolicy {
  /** Failed requests in a row (5xx, timeouts, dropped connections) that take it out of rotation. */
  failuresToEject: number;
}

/** A refused connection: nothing listens there any more. */
function isRefused(failure: TransientFailure): boolean {
  let cause: unknown = failure.cause;
  for (let depth = 0; depth < 6 && cause; depth++) {
    if ((cause as { code?: unknown }).code === "ECONNREFUSED") return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}

function describe(failure: TransientFailure): string {
  if (isRefused(failure)) return "connection refused";
  return failure.status !== null ? `HTTP ${failure.status}` : failure.reason;
}

/**
 * One model server of a pool: its client, whether it is in rotation, and its figures. A 429 is
 * an answer (the server is busy, not gone), so only failures that mean it stopped answering
 * count towards taking it out.
 */
export class EndpointReplica {
  readonly client: ModelClient;
  up = true;
  private failuresInARow = 0;
  private readonly downListeners = new Set<() => void>();
  private figures = { episodes: 0, inFlight: 0, requests: 0, failed: 0, prompt: 0, completion: 0, cached: 0, timesDown: 0, movedOut: 0 };
  private activeMs = 0;
  private activeSince = 0;

  constructor(
    readonly url: string,
    config: ModelConfigInput,
    env: Record<string, string | undefined>,
    private readonly policy: ReplicaHealthPolicy,
    private readonly emit: (event: EndpointEvent) => void,
    private readonly onDown: (replica: EndpointReplica) => void,
  ) {
    this.client = new ModelClient({ ...config, baseURL: url }, env);
    this.client.observer = { onAttempt: (failure) => this.observe(failure) };
  }

  get inFlight(): number {
    return this.figures.inFlight;
  }

  get episodes(): number {
    return this.figures.episodes;
  }

  /** Called once when the replica leaves rotation; returns the unsubscribe. */
  whenDown(listener: () => void): () => void {
    this.downListeners.add(listener);
    return () => this.downListeners.delete(listener);
  }

  pin(): void {
    this.figures.episodes++;
    if (this.figures.inFlight++ === 0) this.activeSince = performance.now();
  }

  unpin(moved: boolean): void {
    if (moved) this.figures.movedOut++;
    if (--this.figures.inFlight === 0) this.activeMs += performance.now() - this.activeSince;
  }

  answered(result: ModelCallResult): void {
    this.figures.prompt += result.usage?.promptTokens ?? 0;
    this.figures.completion += result.usage?.completionTokens ?? 0;
    this.figures.cached += result.usage?.cachedPromptTokens ?? 0;
  }

  takeOut(reason: string): void {
    if (!this.up) return;
    this.up = false;
    this.figures.timesDown++;
    this.emit({ type: "endpoint_down", endpoint: this.url, reason });
    for (const listener of [...this.downListeners]) listener();
    this.onDown(this);
  }

  putBack(): void {
    if (this.up) return;
    this.up = true;
    this.failuresInARow = 0;
    this.emit({ type: "endpoint_up", endpoint: this.url });
  }

  snapshot(): EndpointFigures {
    const f = this.figures;
    const activeMs = this.activeMs + (f.inFlight > 0 ? performance.now() - this.activeSince : 0);
    return {
      url: this.url,
      state: this.up ? "up" : "down",
      episodes: f.episodes,
      in_flight: f.inFlight,
      requests: f.requests,
      failed_requests: f.failed,
      prompt_tokens: f.prompt,
      completion_tokens: f.completion,
      cached_tokens: f.cached,
      cached_share: f.prompt > 0 ? f.cached / f.prompt : null,
      completion_tokens_per_sec: activeMs > 0 ? f.completion / (activeMs / 1000) : null,
      times_down: f.timesDown,
      moved_out: f.movedOut,
    };
  }

  private observe(failure: TransientFailure | null): void {
    this.figures.requests++;
    if (failure === null) {
      this.failuresInARow = 0;
      return;
    }
    this.figures.failed++;
    const reason = describe(failure);
    this.emit({ type: "endpoint_error", endpoint: this.url, reason });
    if (failure.status === 429) return;
    this.failuresInARow++;
    if (isRefused(failure)) this.takeOut(reason);
    else if (this.failuresInARow >= this.policy.failuresToEject)
      this.takeOut(`${this.failuresInARow} failed requests in a row, the last ${reason}`);
  }
}
