import { z } from "zod";

/**
 * How one instance of one run ended, as the official run report counts it: only `resolved`
 * counts as solved; `no_prediction` is an instance of the run's dataset it has no prediction
 * (or no folder) for, which the official report also counts against the rate.
 */
export const InstanceStatus = z.enum(["resolved", "unresolved", "empty_patch", "error", "no_prediction"]);
export type InstanceStatus = z.infer<typeof InstanceStatus>;

/** Where an input came from. */
export const InputKind = z.enum(["bottega_run", "official_logs", "official_run_report", "experiments_results"]);
export type InputKind = z.infer<typeof InputKind>;

/** What one episode cost, from the run's events or its trajectory (null where the run has neither). */
export interface EpisodeMetrics {
  exit_status: string | null;
  steps: number | null;
  tokens: number | null;
  wall_seconds: number | null;
}

/** One instance of one run, with whatever files the run keeps for it (absolute paths). */
export interface InstanceOutcome extends EpisodeMetrics {
  instance_id: string;
  status: InstanceStatus;
  /** The model's patch, when the input keeps it (integrity flags read it). */
  patch: string | null;
  /** The patch did not apply (the official harness's "Patch Apply Failed"); null when unknown. */
  patch_apply_failed: boolean | null;
  trajectory_path: string | null;
  test_log_path: string | null;
}

/** One input, read: every instance of its dataset (or of what it lists) with its outcome. */
export interface RunOutcomes {
  label: string;
  kind: InputKind;
  /** The path given on the command line, resolved. */
  source: string;
  /** The dataset the run names (Bottega runs), or null when it does not record one. */
  dataset_source: string | null;
  /** True when the instance set is the run's whole dataset; false when it is only what the input lists. */
  complete_universe: boolean;
  instances: Map<string, InstanceOutcome>;
}

export function emptyOutcome(instanceId: string, status: InstanceStatus): InstanceOutcome {
  return {
    instance_id: instanceId,
    status,
    patch: null,
    patch_apply_failed: null,
    trajectory_path: null,
    test_log_path: null,
    exit_status: null,
    steps: null,
    tokens: null,
    wall_seconds: null,
  };
}

/** The input cannot be read as any of the formats compare knows, or is malformed. */
export class CompareInputError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = "CompareInputError";
  }
}
