import type { CompareInputs } from "./compare-inputs.ts";
import type { PairSection, RunSection, SeriesSection } from "./compare-report.ts";
import type { RunOutcomes } from "./run-outcomes.ts";
import { rateRows, repositoryOf } from "./run-section.ts";

/**
 * Three or more runs, one per training stage, in the order given: the rate per stage with its
 * interval and the test against the previous stage, per-repository rates across stages, the
 * instances that flip back and forth, and the always- and never-solved sets.
 */
export function seriesSection(
  runs: readonly RunOutcomes[],
  sections: readonly RunSection[],
  consecutivePairs: readonly PairSection[],
  inputs: CompareInputs,
): SeriesSection {
  const ids = inputs.instanceIds;
  const stages = sections.map((section, i) => {
    const pair = i === 0 ? null : consecutivePairs[i - 1]!;
    return {
      label: section.label,
      resolved: section.resolved,
      rate: section.rate,
      wilson: section.wilson,
      change: pair ? pair.difference : null,
      mcnemar_p: pair ? pair.mcnemar_p : null,
      significant: pair ? pair.significant : null,
      gained: pair ? pair.only_b : null,
      lost: pair ? pair.only_a : null,
    };
  });
  const repository = repositoryOf(inputs);
  const perStage = runs.map((run) => rateRows(ids, repository, (id) => run.instances.get(id)!.status === "resolved"));
  const byRepository = perStage[0]!.map((row, r) => ({
    key: row.key,
    total: row.total,
    resolved: perStage.map((stage) => stage[r]!.resolved),
    rates: perStage.map((stage) => stage[r]!.rate),
  }));
  const flipFloppers: SeriesSection["flip_floppers"] = [];
  const always: string[] = [];
  const never: string[] = [];
  for (const id of ids) {
    const outcomes = runs.map((run) => (run.instances.get(id)!.status === "resolved" ? "1" : "0")).join("");
    if (!outcomes.includes("0")) always.push(id);
    else if (!outcomes.includes("1")) never.push(id);
    let flips = 0;
    for (let i = 1; i < outcomes.length; i++) if (outcomes[i] !== outcomes[i - 1]) flips++;
    if (flips >= 2) flipFloppers.push({ instance_id: id, repository: repository(id), outcomes, flips });
  }
  flipFloppers.sort((x, y) => y.flips - x.flips || (x.instance_id < y.instance_id ? -1 : 1));
  return { stages, by_repository: byRepository, flip_floppers: flipFloppers, always_solved: always, never_solved: never };
}
