import { z } from "zod";
import { IntegrityFlag } from "./integrity-flags.ts";
import { InputKind, InstanceStatus } from "./run-outcomes.ts";

/**
 * compare.json: every number the terminal summary, compare.md and compare.html show, so the
 * three are renderings of this one object. Documented field by field in docs/compare-json.md.
 * Rates are fractions in [0, 1]; differences are B − A (later minus earlier); paths are
 * relative to the folder compare.json is in.
 */
export const COMPARE_FORMAT = "bottega-compare/1";

const Interval = z.object({ low: z.number(), high: z.number() });

const Distribution = z.object({ count: z.number().int(), median: z.number().nullable(), p90: z.number().nullable() });

const RateRow = z.object({
  key: z.string(),
  resolved: z.number().int(),
  total: z.number().int(),
  rate: z.number(),
  wilson: Interval,
});

const IntegrityInstance = z.object({ instance_id: z.string(), flags: z.array(IntegrityFlag), files: z.array(z.string()) });

export const IntegritySummary = z.object({
  /** Predictions with a patch to check, and test logs read. */
  patches_checked: z.number().int(),
  logs_checked: z.number().int(),
  flagged: z.number().int(),
  by_flag: z.record(IntegrityFlag, z.number().int()),
  /** Flagged instances that the run resolved: the ones whose score is in doubt. */
  flagged_resolved: z.number().int(),
  instances: z.array(IntegrityInstance),
});

const InstanceRef = z.object({
  status: InstanceStatus,
  trajectory: z.string().nullable(),
  test_log: z.string().nullable(),
});

export const RunSection = z.object({
  label: z.string(),
  kind: InputKind,
  source: z.string(),
  dataset_source: z.string().nullable(),
  /** Instances compared (the denominator of every rate below). */
  n: z.number().int(),
  resolved: z.number().int(),
  rate: z.number(),
  wilson: Interval,
  /** Resamples whole repositories (see settings). */
  cluster_bootstrap: Interval,
  status_counts: z.record(InstanceStatus, z.number().int()),
  no_prediction_ids: z.array(z.string()),
  empty_patch_rate: z.number(),
  /** null when the input does not say whether patches applied. */
  patch_apply_failures: z.number().int().nullable(),
  patch_apply_failure_rate: z.number().nullable(),
  /** Episodes with a trajectory, and how they ended. */
  episodes: z.number().int(),
  exit_statuses: z.record(z.string(), z.number().int()),
  steps: Distribution,
  tokens: Distribution,
  wall_seconds: Distribution,
  by_repository: z.array(RateRow),
  by_difficulty: z.array(RateRow),
  integrity: IntegritySummary,
});
export type RunSection = z.infer<typeof RunSection>;

const FlipInstance = z.object({
  instance_id: z.string(),
  repository: z.string(),
  difficulty: z.string().nullable(),
  a: InstanceRef,
  b: InstanceRef,
});

const PairBreakdownRow = z.object({
  key: z.string(),
  total: z.number().int(),
  a_resolved: z.number().int(),
  b_resolved: z.number().int(),
  gained: z.number().int(),
  lost: z.number().int(),
});

export const PairSection = z.object({
  a: z.string(),
  b: z.string(),
  n: z.number().int(),
  both: z.number().int(),
  only_a: z.number().int(),
  only_b: z.number().int(),
  neither: z.number().int(),
  a_rate: z.number(),
  b_rate: z.number(),
  difference: z.number(),
  bootstrap: Interval,
  mcnemar_p: z.number(),
  significant: z.boolean(),
  gained: z.array(FlipInstance),
  lost: z.array(FlipInstance),
  by_repository: z.array(PairBreakdownRow),
  by_difficulty: z.array(PairBreakdownRow),
  /** Flagged instances (either run) among the gained ones. */
  gained_flagged: z.array(z.string()),
});
export type PairSection = z.infer<typeof PairSection>;

export const SeriesSection = z.object({
  stages: z.array(
    z.object({
      label: z.string(),
      resolved: z.number().int(),
      rate: z.number(),
      wilson: Interval,
      /** Against the previous stage; null for the first. */
      change: z.number().nullable(),
      mcnemar_p: z.number().nullable(),
      significant: z.boolean().nullable(),
      gained: z.number().int().nullable(),
      lost: z.number().int().nullable(),
    }),
  ),
  by_repository: z.array(
    z.object({ key: z.string(), total: z.number().int(), resolved: z.array(z.number().int()), rates: z.array(z.number()) }),
  ),
  /** Instances whose outcome changes direction more than once across the stages. */
  flip_floppers: z.array(z.object({ instance_id: z.string(), repository: z.string(), outcomes: z.string(), flips: z.number().int() })),
  always_solved: z.array(z.string()),
  never_solved: z.array(z.string()),
});
export type SeriesSection = z.infer<typeof SeriesSection>;

export const GroupSection = z.object({
  name: z.string(),
  runs: z.array(z.string()),
  k: z.number().int(),
  /** pass@j for j = 1..k, unbiased estimator averaged over instances. */
  pass_at: z.array(z.object({ k: z.number().int(), value: z.number() })),
  /** Mean resolved rate over the k runs, with the spread of the single runs. */
  mean_at_k: z.number(),
  min_run_rate: z.number(),
  max_run_rate: z.number(),
  flaky: z.array(z.object({ instance_id: z.string(), solved: z.number().int(), attempts: z.number().int() })),
  always_solved: z.number().int(),
  never_solved: z.number().int(),
  per_instance: z.array(z.object({ instance_id: z.string(), solved: z.number().int(), attempts: z.number().int(), rate: z.number() })),
});
export type GroupSection = z.infer<typeof GroupSection>;

export const GroupPairSection = z.object({
  a: z.string(),
  b: z.string(),
  n: z.number().int(),
  a_mean_rate: z.number(),
  b_mean_rate: z.number(),
  difference: z.number(),
  bootstrap: Interval,
  /** Exact sign test over instances whose solve rate differs. */
  better_in_b: z.number().int(),
  worse_in_b: z.number().int(),
  sign_test_p: z.number(),
  significant: z.boolean(),
  improved: z.array(z.object({ instance_id: z.string(), a_rate: z.number(), b_rate: z.number() })),
  worsened: z.array(z.object({ instance_id: z.string(), a_rate: z.number(), b_rate: z.number() })),
});
export type GroupPairSection = z.infer<typeof GroupPairSection>;

export const GateSection = z.object({
  baseline: z.string(),
  candidate: z.string(),
  alpha: z.number(),
  min_drop_points: z.number(),
  difference_points: z.number(),
  p_value: z.number(),
  regressed: z.boolean(),
  reason: z.string(),
});
export type GateSection = z.infer<typeof GateSection>;

export const CompareReport = z.object({
  format: z.literal(COMPARE_FORMAT),
  created_at: z.string(),
  settings: z.object({
    alpha: z.number(),
    confidence: z.number(),
    resamples: z.number().int(),
    seed: z.number().int(),
    interval: z.literal("wilson"),
    cluster: z.literal("repository"),
    quantiles: z.literal("linear interpolation (numpy default)"),
    denominator: z.string(),
  }),
  instances_compared: z.number().int(),
  /** Instances left out because not every run has them (--allow-different-instances), per run. */
  excluded: z.array(z.object({ run: z.string(), instance_ids: z.array(z.string()) })),
  warnings: z.array(z.string()),
  runs: z.array(RunSection),
  pairs: z.array(PairSection),
  series: SeriesSection.nullable(),
  groups: z.array(GroupSection),
  group_pairs: z.array(GroupPairSection),
  gate: GateSection.nullable(),
  /** Every compared instance with its outcome in each run (in the order of `runs`). */
  instances: z.array(
    z.object({
      instance_id: z.string(),
      repository: z.string(),
      difficulty: z.string().nullable(),
      outcomes: z.array(InstanceRef),
    }),
  ),
});
export type CompareReport = z.infer<typeof CompareReport>;
