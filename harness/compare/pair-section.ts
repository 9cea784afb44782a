import type { CompareInputs } from "./compare-inputs.ts";
import type { PairSection } from "./compare-report.ts";
import { pairedBootstrapBinaryInterval, type BootstrapOptions } from "./bootstrap.ts";
import { mcnemarExactP } from "./mcnemar.ts";
import type { RunOutcomes } from "./run-outcomes.ts";
import { difficultyOf, linkFrom, repositoryOf } from "./run-section.ts";

function breakdown(
  ids: readonly string[],
  keyOf: (id: string) => string,
  a: (id: string) => boolean,
  b: (id: string) => boolean,
): PairSection["by_repository"] {
  const tally = new Map<string, PairSection["by_repository"][number]>();
  for (const id of ids) {
    const key = keyOf(id);
    const row = tally.get(key) ?? { key, total: 0, a_resolved: 0, b_resolved: 0, gained: 0, lost: 0 };
    row.total++;
    if (a(id)) row.a_resolved++;
    if (b(id)) row.b_resolved++;
    if (b(id) && !a(id)) row.gained++;
    if (a(id) && !b(id)) row.lost++;
    tally.set(key, row);
  }
  return [...tally.values()].sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
}

/**
 * Two runs on the same instances: the 2×2 table, the difference B − A with a paired bootstrap
 * interval, the exact McNemar p-value on the discordant pairs, and the instances that flipped.
 */
export function pairSection(
  a: RunOutcomes,
  b: RunOutcomes,
  inputs: CompareInputs,
  outDir: string,
  options: BootstrapOptions & { alpha: number; flagged: Set<string> },
): PairSection {
  const ids = inputs.instanceIds;
  const n = ids.length;
  const solvedA = (id: string) => a.instances.get(id)!.status === "resolved";
  const solvedB = (id: string) => b.instances.get(id)!.status === "resolved";
  let both = 0;
  let onlyA = 0;
  let onlyB = 0;
  const gained: string[] = [];
  const lost: string[] = [];
  for (const id of ids) {
    const x = solvedA(id);
    const y = solvedB(id);
    if (x && y) both++;
    else if (x) {
      onlyA++;
      lost.push(id);
    } else if (y) {
      onlyB++;
      gained.push(id);
    }
  }
  const ref = (run: RunOutcomes, id: string) => {
    const o = run.instances.get(id)!;
    return { status: o.status, trajectory: linkFrom(outDir, o.trajectory_path), test_log: linkFrom(outDir, o.test_log_path) };
  };
  const repository = repositoryOf(inputs);
  const difficulty = difficultyOf(inputs);
  const flip = (id: string) => ({
    instance_id: id,
    repository: repository(id),
    difficulty: inputs.rows.get(id)?.difficulty ?? null,
    a: ref(a, id),
    b: ref(b, id),
  });
  const p = mcnemarExactP(onlyA, onlyB);
  return {
    a: a.label,
    b: b.label,
    n,
    both,
    only_a: onlyA,
    only_b: onlyB,
    neither: n - both - onlyA - onlyB,
    a_rate: (both + onlyA) / n,
    b_rate: (both + onlyB) / n,
    difference: (onlyB - onlyA) / n,
    bootstrap: pairedBootstrapBinaryInterval(onlyA, onlyB, n, options),
    mcnemar_p: p,
    significant: p < options.alpha,
    gained: gained.map(flip),
    lost: lost.map(flip),
    by_repository: breakdown(ids, repository, solvedA, solvedB),
    by_difficulty: breakdown(ids, difficulty, solvedA, solvedB),
    gained_flagged: gained.filter((id) => options.flagged.has(id)),
  };
}
