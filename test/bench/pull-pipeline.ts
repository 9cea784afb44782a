/**
 * A run whose images all have to be pulled, from the loopback registry (.ci/start-registry):
 * gold predictions of the fixtures graded with their images pulled as the run goes (pipelined,
 * each removed after use), against pulling every image first and then running — in one
 * invocation. Wall time and the peak of image layers held (run.json's image_disk), both modes.
 *
 *   npx tsx test/bench/pull-pipeline.ts [grade-workers=2] [pull-workers=2]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pLimit from "p-limit";
import { loadDataset } from "../../harness/dataset/dataset.ts";
import { ImageDiskLedger } from "../../harness/images/image-disk.ts";
import { FIXTURES_DIR } from "../../harness/images/fixture-repo.ts";
import { applyImageTemplate } from "../../harness/images/image-name.ts";
import { readRunJson } from "../../harness/run/run-json.ts";
import { runBatch } from "../../harness/run/run-orchestrator.ts";
import { openSandboxBackend } from "../../src/foundation/sandbox/open-backend.ts";
import { FIXTURE_COPY_TEMPLATE, REGISTRY, registryMissing, TEST_REPO } from "../support/loopback-registry.ts";

const gradeWorkers = Number(process.argv[2] ?? 2);
const pullWorkers = Number(process.argv[3] ?? 2);
const missing = await registryMissing();
if (missing) {
  console.error(`pull-pipeline: ${missing}`);
  process.exit(2);
}
const rows = (await loadDataset({ source: FIXTURES_DIR })).rows;
const images = rows.map((row) => applyImageTemplate(FIXTURE_COPY_TEMPLATE, row));
const results = mkdtempSync(join(tmpdir(), "bench-pull-"));
const sandboxes = await openSandboxBackend("docker", {});
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
/** Only this bench's own copies are ever removed. */
const removeTestImages = () => {
  for (const name of execFileSync("docker", ["images", "--format", "{{.Repository}}:{{.Tag}}"]).toString().split("\n")) {
    if (name.startsWith(`${REGISTRY}/${TEST_REPO}/`)) execFileSync("docker", ["rmi", name]);
  }
};
const run = (runId: string) =>
  runBatch(
    {
      runId,
      resultsDir: results,
      dataset: FIXTURES_DIR,
      predictions: "gold",
      imageTemplate: FIXTURE_COPY_TEMPLATE,
      gradeWorkers,
      pullWorkers,
      network: "none",
    },
    { openSandboxes: (config) => openSandboxBackend("docker", config) },
  );

console.log(`${rows.length} instances, every image pulled from ${REGISTRY}; ${gradeWorkers} grading workers, ${pullWorkers} pull workers`);

removeTestImages();
let started = performance.now();
const pipelined = await run("pipelined");
const pipelinedWall = performance.now() - started;
const pipelinedPeak = readRunJson(pipelined.layout.runJson).image_disk!.peak_bytes;

removeTestImages();
started = performance.now();
const ledger = await ImageDiskLedger.start(sandboxes);
const limit = pLimit(pullWorkers);
await Promise.all(
  images.map((image) =>
    limit(async () => {
      await sandboxes.pullImage(image);
      await ledger.add(image);
    }),
  ),
);
const pulledAt = performance.now() - started;
const first = await run("pull-first");
const firstWall = performance.now() - started;
removeTestImages();

const resolved = (r: typeof first) => `${r.report!.resolved_instances}/${r.report!.total_instances} resolved`;
console.log(
  `\npipelined (pull as the run goes, remove after use): wall ${(pipelinedWall / 1000).toFixed(1)} s, peak image disk ${mib(pipelinedPeak)}, ${resolved(pipelined)}`,
);
console.log(
  `pull everything first, then run: wall ${(firstWall / 1000).toFixed(1)} s (pulls ${(pulledAt / 1000).toFixed(1)} s), peak image disk ${mib(ledger.peak)}, ${resolved(first)}`,
);
console.log(
  `\npipelined / pull-first: wall ${(pipelinedWall / firstWall).toFixed(2)}, peak disk ${(pipelinedPeak / ledger.peak).toFixed(2)}`,
);
process.exit(0);
