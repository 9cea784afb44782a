import { readTrajectory } from "../../scaffold/trajectory.ts";
import type { EpisodeMetrics } from "./run-outcomes.ts";

const NONE: EpisodeMetrics = { exit_status: null, steps: null, tokens: null, wall_seconds: null };

/**
 * Steps, tokens (prompt + completion, summed over steps) and wall time of one episode, from its
 * trajectory (format 1 or 2, through the scaffold's reader). A trajectory that cannot be read
 * (another tool's `.traj`, a torn file) gives nulls: the run has no episode data for it.
 */
export function episodeMetrics(path: string): EpisodeMetrics {
  let trajectory: ReturnType<typeof readTrajectory>;
  try {
    trajectory = readTrajectory(path);
  } catch {
    return NONE;
  }
  let tokens = 0;
  let anyUsage = false;
  for (const step of trajectory.steps) {
    if (!step.usage) continue;
    anyUsage = true;
    tokens += step.usage.prompt_tokens + step.usage.completion_tokens;
  }
  const started = Date.parse(trajectory.started_at);
  const finished = trajectory.finished_at ? Date.parse(trajectory.finished_at) : Number.NaN;
  return {
    exit_status: trajectory.exit_status,
    steps: trajectory.steps.length,
    tokens: anyUsage ? tokens : null,
    wall_seconds: Number.isFinite(started) && Number.isFinite(finished) ? (finished - started) / 1000 : null,
  };
}
