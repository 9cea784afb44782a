import type { ModelRequest } from "./model-client.ts";
import type { ResolvedModelConfig } from "./model-config.ts";
import type { ModelCallResult } from "./model-result.ts";

/**
 * What an agent needs from a model: one assistant turn per call. A ModelClient talks to one
 * server; an EndpointModel is one episode's share of several servers serving the same model.
 */
export interface ChatModel {
  readonly config: ResolvedModelConfig;
  complete(request: ModelRequest): Promise<ModelCallResult>;
  /** Sends a request before it is needed; the `complete` call with the same request takes its answer. */
  prefetch?(request: ModelRequest): void;
}
