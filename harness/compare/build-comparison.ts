import { DEFAULT_RESAMPLES, DEFAULT_SEED } from "./bootstrap.ts";
import type { CompareInputs } from "./compare-inputs.ts";
import { COMPARE_FORMAT, type CompareReport, type PairSection } from "./compare-report.ts";
import { pairSection } from "./pair-section.ts";
import { regressionGate } from "./regression-gate.ts";
import type { RunOutcomes } from "./run-outcomes.ts";
import { linkFrom, runSection } from "./run-section.ts";
import { groupPairSection, groupSection } from "./seed-group.ts";
import { seriesSection } from "./series-section.ts";

export interface CompareOptions {
  /** Where compare.json goes: its paths are relative to this folder. */
  outDir: string;
  alpha: number;
  resamples?: number;
  seed?: number;
  /** Seeds of one checkpoint, by the index of their run in `inputs.runs`; runs in no group stand alone. */
  groups?: Array<{ name: string; runIndexes: number[] }>;
  /** --fail-if-regressed: gate the last run (or group) against the first. */
  gate?: { minDropPoints: number };
  now?: Date;
}

/**
 * Every number of the report, from the matched runs: one section per run; for single runs the
 * consecutive pairs (and first → last for a series) and the series; for groups of seeds the
 * per-group pass@k and the consecutive group comparisons on per-instance rates.
 */
export function buildComparison(inputs: CompareInputs, options: CompareOptions): CompareReport {
  const bootstrap = { resamples: options.resamples ?? DEFAULT_RESAMPLES, seed: options.seed ?? DEFAULT_SEED };
  const runs = inputs.runs;
  const sections = runs.map((run) => runSection(run, inputs, options.outDir, bootstrap));
  const flagged = new Set(sections.flatMap((s) => s.integrity.instances.map((i) => i.instance_id)));

  const grouped = (options.groups ?? []).some((g) => g.runIndexes.length > 1);
  const entries: Array<{ name: string; runs: RunOutcomes[] }> = [];
  if (grouped) {
    const inGroup = new Set(options.groups!.flatMap((g) => g.runIndexes));
    // Groups and lone runs, in the order their first run was given.
    const order = [...options.groups!.map((g) => ({ at: Math.min(...g.runIndexes), name: g.name, idx: g.runIndexes }))];
    runs.forEach((run, i) => {
      if (!inGroup.has(i)) order.push({ at: i, name: run.label, idx: [i] });
    });
    order.sort((x, y) => x.at - y.at);
    for (const entry of order) entries.push({ name: entry.name, runs: entry.idx.map((i) => runs[i]!) });
  }

  const pairs: PairSection[] = [];
  const pairOptions = { ...bootstrap, alpha: options.alpha, flagged };
  if (!grouped) {
    for (let i = 1; i < runs.length; i++) pairs.push(pairSection(runs[i - 1]!, runs[i]!, inputs, options.outDir, pairOptions));
    if (runs.length >= 3) pairs.push(pairSection(runs[0]!, runs.at(-1)!, inputs, options.outDir, pairOptions));
  }
  const series = !grouped && runs.length >= 3 ? seriesSection(runs, sections, pairs.slice(0, runs.length - 1), inputs) : null;
  const groups = entries.map((entry) => groupSection(entry, inputs));
  const groupPairs = [];
  for (let i = 1; i < groups.length; i++)
    groupPairs.push(groupPairSection(groups[i - 1]!, groups[i]!, { ...bootstrap, alpha: options.alpha }));
  const firstLastGroups =
    groups.length >= 3 ? groupPairSection(groups[0]!, groups.at(-1)!, { ...bootstrap, alpha: options.alpha }) : groupPairs[0];
  if (groups.length >= 3) groupPairs.push(firstLastGroups!);

  let gate: CompareReport["gate"] = null;
  if (options.gate) {
    const minDropPoints = options.gate.minDropPoints;
    if (grouped && firstLastGroups) {
      gate = regressionGate({
        baseline: firstLastGroups.a,
        candidate: firstLastGroups.b,
        difference: firstLastGroups.difference,
        pValue: firstLastGroups.sign_test_p,
        alpha: options.alpha,
        minDropPoints,
      });
    } else if (!grouped && pairs.length > 0) {
      const pair = pairs.at(-1)!; // first → last (the only pair for two runs)
      gate = regressionGate({
        baseline: pair.a,
        candidate: pair.b,
        difference: pair.difference,
        pValue: pair.mcnemar_p,
        alpha: options.alpha,
        minDropPoints,
      });
    }
  }

  return {
    format: COMPARE_FORMAT,
    created_at: (options.now ?? new Date()).toISOString(),
    settings: {
      alpha: options.alpha,
      confidence: 0.95,
      resamples: bootstrap.resamples,
      seed: bootstrap.seed,
      interval: "wilson",
      cluster: "repository",
      quantiles: "linear interpolation (numpy default)",
      denominator:
        "all compared instances (empty patches, errors and instances without a prediction count as unresolved, as in the official run report)",
    },
    instances_compared: inputs.instanceIds.length,
    excluded: inputs.excluded,
    warnings: inputs.warnings,
    runs: sections,
    pairs,
    series,
    groups,
    group_pairs: groupPairs,
    gate,
    instances: inputs.instanceIds.map((id) => ({
      instance_id: id,
      repository: inputs.rows.get(id)?.repository ?? id,
      difficulty: inputs.rows.get(id)?.difficulty ?? null,
      outcomes: runs.map((run) => {
        const o = run.instances.get(id)!;
        return {
          status: o.status,
          trajectory: linkFrom(options.outDir, o.trajectory_path),
          test_log: linkFrom(options.outDir, o.test_log_path),
        };
      }),
    })),
  };
}
