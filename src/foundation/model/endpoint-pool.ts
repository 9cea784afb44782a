import { EndpointMismatchError } from "./endpoint-errors.ts";
import type { EndpointEvent, EndpointFigures } from "./endpoint-figures.ts";
import { EndpointModel } from "./endpoint-model.ts";
import { EndpointReplica } from "./endpoint-replica.ts";
import type { Discovery } from "./model-client.ts";
import type { ModelConfigInput } from "./model-config.ts";

export interface EndpointPoolOptions {
  /** Failed requests in a row (5xx, timeouts, dropped connections) that take an endpoint out; a refused connection does at once. Default 3. */
  failuresToEject?: number;
  /** How often an endpoint out of rotation is asked for /v1/models. Default 2 s. */
  probeIntervalMs?: number;
  probeTimeoutMs?: number;
  onEvent?: (event: EndpointEvent) => void;
  env?: Record<string, string | undefined>;
}

/**
 * Several servers of one model (vLLM replicas). Each episode is pinned to one endpoint for its
 * whole life, so that server's prefix cache keeps its conversation; new episodes go where the
 * fewest are in flight. An endpoint that stops answering leaves rotation, its episodes move to
 * the others, and it is probed until it answers /v1/models with the same model again.
 */
export class EndpointPool {
  readonly replicas: EndpointReplica[];
  private readonly leases = new Set<EndpointModel>();
  private readonly probes = new Map<EndpointReplica, NodeJS.Timeout>();
  private model: string | null = null;
  private readonly probeIntervalMs: number;
  private readonly probeTimeoutMs: number;
  private readonly emit: (event: EndpointEvent) => void;
  private closed = false;

  constructor(urls: readonly string[], config: ModelConfigInput, options: EndpointPoolOptions = {}) {
    if (urls.length === 0) throw new Error("an endpoint pool needs at least one URL");
    this.probeIntervalMs = options.probeIntervalMs ?? 2_000;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 5_000;
    this.emit = (event) => options.onEvent?.(event);
    const policy = { failuresToEject: options.failuresToEject ?? 3 };
    this.replicas = [...new Set(urls)].map(
      (url) => new EndpointReplica(url, config, options.env ?? process.env, policy, this.emit, (replica) => this.probe(replica)),
    );
  }

  /**
   * Reads /v1/models on every endpoint (each retried like any call). They must all serve the
   * same model: EndpointMismatchError otherwise.
   */
  async verify(signal?: AbortSignal): Promise<Discovery> {
    const found = await Promise.all(this.replicas.map((replica) => replica.client.discover(signal)));
    const models = new Set(found.map((discovery) => discovery.model));
    if (models.size > 1) {
      throw new EndpointMismatchError(this.replicas.map((replica, i) => ({ url: replica.url, model: found[i]!.model })));
    }
    this.model = found[0]!.model;
    return found[0]!;
  }

  /** A model for one episode, pinned to the endpoint with the fewest episodes in flight. Release it when the episode ends. */
  lease(episode: string): EndpointModel {
    const lease = new EndpointModel(this, episode, this.choose(null));
    this.leases.add(lease);
    return lease;
  }

  /** @internal the lease is done. */
  forget(lease: EndpointModel): void {
    this.leases.delete(lease);
  }

  /**
   * Where a new or moving episode goes: the endpoints in rotation, fewest in flight first, then
   * fewest episodes so far. With none in rotation, any but `leaving` (or `leaving` itself):
   * requests then fail and retry as they would with a single endpoint.
   */
  choose(leaving: EndpointReplica | null): EndpointReplica {
    const order = (a: EndpointReplica, b: EndpointReplica) => a.inFlight - b.inFlight || a.episodes - b.episodes;
    const up = this.replicas.filter((replica) => replica.up && replica !== leaving).sort(order);
    if (up[0]) return up[0];
    return leaving ?? [...this.replicas].sort(order)[0]!;
  }

  /** @internal an episode left a failed endpoint. */
  moved(episode: string, from: EndpointReplica, to: EndpointReplica): void {
    this.emit({ type: "episode_moved", episode, from: from.url, to: to.url });
  }

  /** Whether an episode on `replica` has somewhere else to go. */
  hasAlternative(replica: EndpointReplica): boolean {
    return this.replicas.some((other) => other !== replica && other.up);
  }

  figures(): EndpointFigures[] {
    return this.replicas.map((replica) => replica.snapshot());
  }

  /** Stops probing. */
  close(): void {
    this.closed = true;
    for (const timer of this.probes.values()) clearTimeout(timer);
    this.probes.clear();
  }

  private probe(replica: EndpointReplica): void {
    if (this.closed || this.probes.has(replica)) return;
    const timer = setTimeout(async () => {
      const served = await replica.client.probe(this.probeTimeoutMs);
      this.probes.delete(replica);
      if (this.closed) return;
      if (served !== null && (this.model === null || served.includes(this.model))) {
        replica.putBack();
        // Episodes waiting on an endpoint that is out can go there now.
        for (const lease of this.leases) lease.rotationChanged();
      } else {
        if (served !== null)
          this.emit({
            type: "endpoint_error",
            endpoint: replica.url,
            reason: `answers again but serves ${served.join(", ") || "nothing"}, not ${this.model}`,
          });
        this.probe(replica);
      }
    }, this.probeIntervalMs);
    timer.unref();
    this.probes.set(replica, timer);
  }
}
