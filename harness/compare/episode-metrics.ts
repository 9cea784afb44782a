import { readFileSync } from "node:fs";
import type { EpisodeMetrics } from "./run-outcomes.ts";

interface StepUsage {
  promptTokens?: number;
  completionTokens?: number;
  prompt_tokens?: number;
  completion_tokens?: number;
}

interface TrajectoryFields {
  exit_status?: string | null;
  steps?: Array<{ usage?: StepUsage | null }>;
  started_at?: string;
  finished_at?: string | null;
}

const NONE: EpisodeMetrics = { exit_status: null, steps: null, tokens: null, wall_seconds: null };

/**
 * Steps, tokens (prompt + completion, summed over steps) and wall time of one episode, from its
 * trajectory file; a missing or unreadable trajectory gives nulls (the run has no episode data).
 */
export function episodeMetrics(path: string): EpisodeMetrics {
  let trajectory: TrajectoryFields;
  try {
    trajectory = JSON.parse(readFileSync(path, "utf8")) as TrajectoryFields;
  } catch {
    return NONE;
  }
  const steps = Array.isArray(trajectory.steps) ? trajectory.steps : [];
  let tokens = 0;
  let anyUsage = false;
  for (const step of steps) {
    const usage = step.usage;
    if (!usage) continue;
    anyUsage = true;
    tokens += (usage.prompt_tokens ?? usage.promptTokens ?? 0) + (usage.completion_tokens ?? usage.completionTokens ?? 0);
  }
  const started = trajectory.started_at ? Date.parse(trajectory.started_at) : Number.NaN;
  const finished = trajectory.finished_at ? Date.parse(trajectory.finished_at) : Number.NaN;
  return {
    exit_status: trajectory.exit_status ?? null,
    steps: steps.length,
    tokens: anyUsage ? tokens : null,
    wall_seconds: Number.isFinite(started) && Number.isFinite(finished) ? (finished - started) / 1000 : null,
  };
}
