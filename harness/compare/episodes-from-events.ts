import { readIfExists } from "./instance-files.ts";
import type { EpisodeMetrics } from "./run-outcomes.ts";

/**
 * Each instance's latest agent episode from a Bottega run's events.jsonl: its exit status and
 * steps (agent_finished), tokens (the agent_step events since its agent phase started) and wall
 * time (agent phase start to agent_finished). One small file instead of every trajectory —
 * trajectories keep whole observations and run to megabytes each — and the same numbers:
 * the runner emits these events from the steps it records in the trajectory.
 */
export function episodesFromEvents(path: string): Map<string, EpisodeMetrics> {
  const episodes = new Map<string, EpisodeMetrics>();
  const text = readIfExists(path);
  if (text === null) return episodes;
  const open = new Map<string, { started: number; tokens: number; anyUsage: boolean }>();
  for (const line of text.split("\n")) {
    // Only the three event types read here; skip the rest without parsing them.
    if (!line.includes('"agent_') && !line.includes('"phase_started"')) continue;
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue; // a torn last line
    }
    const id = event.instance_id;
    if (typeof id !== "string") continue;
    if (event.type === "phase_started" && event.phase === "agent") {
      open.set(id, { started: Date.parse(String(event.t)), tokens: 0, anyUsage: false });
    } else if (event.type === "agent_step") {
      const episode = open.get(id);
      // snake_case since run events were renamed; camelCase in runs written before.
      const prompt = event.prompt_tokens ?? event.promptTokens;
      const completion = event.completion_tokens ?? event.completionTokens;
      if (episode && typeof prompt === "number" && typeof completion === "number") {
        episode.tokens += prompt + completion;
        episode.anyUsage = true;
      }
    } else if (event.type === "agent_finished") {
      const episode = open.get(id);
      const finished = Date.parse(String(event.t));
      episodes.set(id, {
        exit_status: typeof event.exit_status === "string" ? event.exit_status : null,
        steps: typeof event.steps === "number" ? event.steps : null,
        tokens: episode?.anyUsage ? episode.tokens : null,
        wall_seconds: episode && Number.isFinite(episode.started) && Number.isFinite(finished) ? (finished - episode.started) / 1000 : null,
      });
    }
  }
  return episodes;
}
