import type { RunEvent, RunEventInput } from "../../harness/run/run-events.ts";

/** Builds events stamped `sec` seconds after `t0` (ms since the epoch). */
export const eventsFrom =
  (t0: number) =>
  (sec: number, event: RunEventInput): RunEvent =>
    ({ ...event, t: new Date(t0 + sec * 1000).toISOString() }) as RunEvent;

/** An agent_step event's body. */
export const agentStep = (id: string, n: number, prompt: number, completion: number, cached: number, latencyMs = 1000): RunEventInput => ({
  type: "agent_step",
  instance_id: id,
  step: n,
  prompt_tokens: prompt,
  completion_tokens: completion,
  cached_tokens: cached,
  latency_ms: latencyMs,
});
