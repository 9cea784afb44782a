import type { ChatModel } from "./chat-model.ts";
import type { EndpointPool } from "./endpoint-pool.ts";
import type { EndpointReplica } from "./endpoint-replica.ts";
import type { ModelRequest } from "./model-client.ts";
import type { ResolvedModelConfig } from "./model-config.ts";
import { ModelCallAbortedError, ModelUnavailableError } from "./model-errors.ts";
import type { ModelCallResult } from "./model-result.ts";

const requestKey = (request: ModelRequest) =>
  JSON.stringify([request.messages, request.tools ?? [], request.toolChoice ?? null, request.maxTokens ?? null]);

/**
 * One episode's model: every call goes to the endpoint it is pinned to. When that endpoint
 * leaves rotation the call in flight is abandoned and the episode moves, for good, to another
 * endpoint, where its next request is a full prompt (that server's cache never saw it).
 */
export class EndpointModel implements ChatModel {
  private prefetched: { key: string; result: Promise<ModelCallResult>; cancel: AbortController } | null = null;
  private inCall: AbortController | null = null;
  private released = false;

  constructor(
    private readonly pool: EndpointPool,
    readonly episode: string,
    private replica: EndpointReplica,
  ) {
    replica.pin();
  }

  get config(): ResolvedModelConfig {
    return this.replica.client.config;
  }

  /** The endpoint the episode is pinned to now. */
  get endpoint(): string {
    return this.replica.url;
  }

  /**
   * Sends a request before the episode needs it (its first turn, while its container starts);
   * the `complete` call with the same request takes its answer.
   */
  prefetch(request: ModelRequest): void {
    this.prefetched?.cancel.abort();
    const cancel = new AbortController();
    const signal = request.signal ? AbortSignal.any([request.signal, cancel.signal]) : cancel.signal;
    const result = this.call({ ...request, signal });
    result.catch(() => undefined); // claimed (and its failure seen) by complete(), or abandoned
    this.prefetched = { key: requestKey(request), result, cancel };
  }

  complete(request: ModelRequest): Promise<ModelCallResult> {
    const prefetched = this.prefetched;
    this.prefetched = null;
    if (prefetched?.key === requestKey(request)) return prefetched.result;
    prefetched?.cancel.abort();
    return this.call(request);
  }

  /** The episode ended: its endpoint has one fewer in flight. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.prefetched?.cancel.abort();
    this.prefetched = null;
    this.replica.unpin(false);
    this.pool.forget(this);
  }

  /** @internal an endpoint came back: a call stuck on one out of rotation moves there. */
  rotationChanged(): void {
    if (!this.replica.up && this.pool.hasAlternative(this.replica)) this.inCall?.abort();
  }

  private async call(request: ModelRequest): Promise<ModelCallResult> {
    for (;;) {
      if (!this.replica.up && this.pool.hasAlternative(this.replica)) this.move();
      const replica = this.replica;
      const moving = new AbortController();
      this.inCall = moving;
      const signal = request.signal ? AbortSignal.any([request.signal, moving.signal]) : moving.signal;
      const stopWatching = replica.whenDown(() => {
        if (this.pool.hasAlternative(replica)) moving.abort();
      });
      try {
        const result = await replica.client.complete({ ...request, signal });
        replica.answered(result);
        return result;
      } catch (error) {
        if (request.signal?.aborted || this.released) throw error;
        const abandoned = moving.signal.aborted && error instanceof ModelCallAbortedError;
        // Retries exhausted here while another endpoint answers: this one is as good as gone.
        if (error instanceof ModelUnavailableError && this.pool.hasAlternative(replica)) replica.takeOut(error.message);
        else if (!abandoned) throw error;
      } finally {
        stopWatching();
        if (this.inCall === moving) this.inCall = null;
      }
    }
  }

  private move(): void {
    const from = this.replica;
    const to = this.pool.choose(from);
    if (to === from) return;
    from.unpin(true);
    to.pin();
    this.replica = to;
    this.pool.moved(this.episode, from, to);
  }
}
