/**
 * `bottega compare` on ten runs of 500 instances (a series of training stages): every input read
 * (run reports, predictions, test logs, trajectories), every statistic (10,000-resample paired
 * bootstraps for each consecutive pair and first → last), and compare.json, compare.md and
 * compare.html written. The runs are generated from the real Verified ids with a seeded mix of
 * outcomes (test/support/synthetic-runs.ts). Measured side by side, interleaved, with half the
 * work (five runs of 500) to show the cost is linear in runs × instances.
 *
 *   npx tsx test/bench/compare-speed.ts [rounds=5]
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildComparison } from "../../harness/compare/build-comparison.ts";
import { readCompareInputs } from "../../harness/compare/compare-inputs.ts";
import { writeCompareOutputs } from "../../harness/compare/write-compare-outputs.ts";
import { loadDataset } from "../../harness/dataset/dataset.ts";
import { writeSyntheticRuns } from "../support/synthetic-runs.ts";

const rounds = Number(process.argv[2] ?? 5);
const PARQUET = path.resolve(fileURLToPath(new URL("../../..", import.meta.url)), "shared/data/swe-bench-verified.parquet");
if (!existsSync(PARQUET)) {
  console.warn(`SKIPPED compare-speed: ${PARQUET} is absent`);
  process.exit(0);
}
const ids = (await loadDataset({ source: PARQUET })).rows.map((row) => row.instance_id);
const work = mkdtempSync(path.join(tmpdir(), "bench-compare-"));
const results = path.join(work, "results");
const runIds = writeSyntheticRuns({ resultsDir: results, dataset: PARQUET, ids, runs: 10, seed: 42 });

const cpuMs = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};
const cpu: Record<string, number[]> = { full: [], half: [] };

async function compare(runs: string[], out: string): Promise<number> {
  const started = performance.now();
  const cpuStarted = cpuMs();
  const inputs = await readCompareInputs({ arguments: runs, resultsDir: results, dataset: PARQUET, allowDifferentInstances: false });
  const outDir = path.join(work, out);
  const report = buildComparison(inputs, { outDir, alpha: 0.05 });
  await writeCompareOutputs(outDir, report);
  cpu[out]?.push(cpuMs() - cpuStarted);
  return performance.now() - started;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
await compare(runIds, "warm-up");
const full: number[] = [];
const half: number[] = [];
for (let round = 0; round < rounds; round++) {
  half.push(await compare(runIds.slice(0, 5), "half"));
  full.push(await compare(runIds, "full"));
}
const f = median(full);
const h = median(half);
// The machine is shared: CPU time beside wall time shows what is ours.
const fc = median(cpu.full!);
const hc = median(cpu.half!);
console.log(
  `compare, 10 runs × 500 instances, all outputs: median ${(f / 1000).toFixed(2)} s wall, ${(fc / 1000).toFixed(2)} s CPU over ${rounds} rounds (goal < 2 s)`,
);
console.log(`compare,  5 runs × 500 instances, all outputs: median ${(h / 1000).toFixed(2)} s wall, ${(hc / 1000).toFixed(2)} s CPU`);
console.log(`ratio 10×500 / 5×500: ${(f / h).toFixed(2)}× wall, ${(fc / hc).toFixed(2)}× CPU for 2× the runs × instances`);
