import { z } from "zod";

/** One model endpoint's share of a run, as run.json records it. */
export const EndpointFigures = z.object({
  url: z.string(),
  /** "down": taken out of rotation (refused connections, failures in a row) and being probed. */
  state: z.enum(["up", "down"]),
  /** Episodes pinned to it over the run, those moved to it included. */
  episodes: z.number().int().nonnegative(),
  in_flight: z.number().int().nonnegative(),
  /** Chat requests sent to it, retries included. */
  requests: z.number().int().nonnegative(),
  /** Of requests: those that failed (5xx, timeouts, dropped or refused connections). */
  failed_requests: z.number().int().nonnegative(),
  prompt_tokens: z.number().int().nonnegative(),
  completion_tokens: z.number().int().nonnegative(),
  cached_tokens: z.number().int().nonnegative(),
  /** cached / prompt tokens: how much of the prompts its prefix cache served. */
  cached_share: z.number().nullable(),
  /** Completion tokens per second of the time it had episodes in flight. */
  completion_tokens_per_sec: z.number().nullable(),
  /** Times it was taken out of rotation. */
  times_down: z.number().int().nonnegative(),
  /** Episodes that moved off it because it went down. */
  moved_out: z.number().int().nonnegative(),
});
export type EndpointFigures = z.infer<typeof EndpointFigures>;

/** What happened to the endpoints, for the run's event log. */
export type EndpointEvent =
  | { type: "endpoint_down"; endpoint: string; reason: string }
  | { type: "endpoint_up"; endpoint: string }
  | { type: "endpoint_error"; endpoint: string; reason: string }
  | { type: "episode_moved"; episode: string; from: string; to: string };
