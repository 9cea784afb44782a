import type { CompareInputs } from "./compare-inputs.ts";
import type { GroupPairSection, GroupSection } from "./compare-report.ts";
import { pairedBootstrapInterval, type BootstrapOptions } from "./bootstrap.ts";
import { mcnemarExactP } from "./mcnemar.ts";
import { passAtK } from "./pass-at-k.ts";
import type { RunOutcomes } from "./run-outcomes.ts";

/** Runs that are seeds (repeated samples) of one checkpoint. */
export interface SeedGroup {
  name: string;
  runs: RunOutcomes[];
}

function solvedCounts(group: SeedGroup, ids: readonly string[]): number[] {
  return ids.map((id) => group.runs.reduce((sum, run) => sum + (run.instances.get(id)!.status === "resolved" ? 1 : 0), 0));
}

/**
 * pass@k (unbiased, averaged over instances) for k = 1..n, mean@k (the average single-run
 * rate, what one run estimates), each instance's solve rate, and the flaky instances
 * (0 < solved < n): the noise floor of any comparison between checkpoints.
 */
export function groupSection(group: SeedGroup, inputs: CompareInputs): GroupSection {
  const ids = inputs.instanceIds;
  const n = group.runs.length;
  const solved = solvedCounts(group, ids);
  const passAt = [];
  for (let k = 1; k <= n; k++) {
    let sum = 0;
    for (const c of solved) sum += passAtK(n, c, k);
    passAt.push({ k, value: sum / ids.length });
  }
  const runRates = group.runs.map((run) => ids.filter((id) => run.instances.get(id)!.status === "resolved").length / ids.length);
  const perInstance = ids.map((id, i) => ({ instance_id: id, solved: solved[i]!, attempts: n, rate: solved[i]! / n }));
  return {
    name: group.name,
    runs: group.runs.map((run) => run.label),
    k: n,
    pass_at: passAt,
    mean_at_k: runRates.reduce((a, b) => a + b, 0) / n,
    min_run_rate: Math.min(...runRates),
    max_run_rate: Math.max(...runRates),
    flaky: perInstance
      .filter((p) => p.solved > 0 && p.solved < n)
      .map(({ instance_id, solved, attempts }) => ({ instance_id, solved, attempts })),
    always_solved: perInstance.filter((p) => p.solved === n).length,
    never_solved: perInstance.filter((p) => p.solved === 0).length,
    per_instance: perInstance,
  };
}

/**
 * Two checkpoints, each a group of seeds, compared on per-instance solve rates (paired): the
 * mean difference with a paired bootstrap interval, and an exact sign test over the instances
 * whose rate differs (the McNemar computation, with rates in place of single outcomes).
 */
export function groupPairSection(a: GroupSection, b: GroupSection, options: BootstrapOptions & { alpha: number }): GroupPairSection {
  const n = a.per_instance.length;
  const differences = new Float64Array(n);
  const improved: GroupPairSection["improved"] = [];
  const worsened: GroupPairSection["worsened"] = [];
  for (let i = 0; i < n; i++) {
    const x = a.per_instance[i]!;
    const y = b.per_instance[i]!;
    differences[i] = y.rate - x.rate;
    if (y.rate > x.rate) improved.push({ instance_id: x.instance_id, a_rate: x.rate, b_rate: y.rate });
    else if (y.rate < x.rate) worsened.push({ instance_id: x.instance_id, a_rate: x.rate, b_rate: y.rate });
  }
  const aMean = a.per_instance.reduce((s, p) => s + p.rate, 0) / n;
  const bMean = b.per_instance.reduce((s, p) => s + p.rate, 0) / n;
  const p = mcnemarExactP(worsened.length, improved.length);
  return {
    a: a.name,
    b: b.name,
    n,
    a_mean_rate: aMean,
    b_mean_rate: bMean,
    difference: bMean - aMean,
    bootstrap: pairedBootstrapInterval(differences, options),
    better_in_b: improved.length,
    worse_in_b: worsened.length,
    sign_test_p: p,
    significant: p < options.alpha,
    improved,
    worsened,
  };
}
