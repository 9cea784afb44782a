/**
 * 64 agent episodes at once against the scripted server (in its own process) answering each
 * request after 200 ms: the run's wall time against the ideal (the model's time alone, steps ×
 * 200 ms, as if containers and tools were free), and this runner's peak RSS and CPU.
 *
 *   npx tsx test/bench/concurrent-episodes.ts [episodes=64] [steps=10]
 */
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadDataset } from "../../harness/dataset/dataset.ts";
import { FIXTURES_DIR } from "../../harness/images/fixture-repo.ts";
import { applyImageTemplate, FIXTURE_IMAGE_TEMPLATE } from "../../harness/images/image-name.ts";
import { runBatch } from "../../harness/run/run-orchestrator.ts";
import { openSandboxBackend } from "../../src/foundation/sandbox/open-backend.ts";

const episodes = Number(process.argv[2] ?? 64);
const steps = Number(process.argv[3] ?? 10);
const latencyMs = 200;

// A dataset of `episodes` copies of the fixtures, each pointing at its fixture image.
const dir = mkdtempSync(join(tmpdir(), "bench-dataset-"));
const fixtures = (await loadDataset({ source: FIXTURES_DIR })).rows;
const rows = Array.from({ length: episodes }, (_, i) => {
  const row = fixtures[i % fixtures.length]!;
  return { ...row, instance_id: `${row.instance_id}-copy${i}`, image: applyImageTemplate(FIXTURE_IMAGE_TEMPLATE, row), FAIL_TO_PASS: JSON.stringify(row.FAIL_TO_PASS), PASS_TO_PASS: JSON.stringify(row.PASS_TO_PASS) };
});
writeFileSync(join(dir, "test.jsonl"), rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
copyFileSync(join(FIXTURES_DIR, "specs.json"), join(dir, "specs.json"));
const results = join(dir, "results");
mkdirSync(results);

const server = spawn("npx", ["tsx", "test/bench/fake-server-process.ts", String(steps), String(latencyMs)], { stdio: ["ignore", "pipe", "inherit"], detached: true });
const url = await new Promise<string>((resolve) => server.stdout.once("data", (d: Buffer) => resolve(d.toString().trim())));
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
const cpu = process.cpuUsage();
const started = performance.now();
try {
  const result = await runBatch(
    {
      runId: "bench",
      resultsDir: results,
      dataset: dir,
      model: { baseURL: url },
      grade: false,
      workers: episodes,
      agentNetwork: "none",
      reviewOnSubmit: true,
    },
    { openSandboxes: (config) => openSandboxBackend("docker", config) },
  );
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const predictions = readFileSync(result.layout.predictions, "utf8").trim().split("\n").length;
  // Each episode makes steps + 2 model calls (the bash steps, then submit and its confirmation).
  const ideal = (steps + 2) * latencyMs;
  console.log(`episodes: ${episodes} concurrent, ${steps + 2} model calls each at ${latencyMs} ms; finished: ${predictions}`);
  console.log(`wall ${(wall / 1000).toFixed(1)} s vs ideal ${(ideal / 1000).toFixed(1)} s (model time alone): ratio ${(wall / ideal).toFixed(2)}`);
  let modelMs = 0;
  let toolMs = 0;
  let n = 0;
  const { readdirSync } = await import("node:fs");
  for (const name of readdirSync(join(result.layout.root, "trajectories"))) {
    for (const step of JSON.parse(readFileSync(join(result.layout.root, "trajectories", name), "utf8")).steps) {
      modelMs += step.model_latency_ms;
      toolMs += step.tool_ms;
      n++;
    }
  }
  console.log(`per step on average: model call ${(modelMs / n).toFixed(0)} ms (incl. /tokenize), tool ${(toolMs / n).toFixed(0)} ms`);
  console.log(`runner peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MiB, CPU ${((used.user + used.system) / 1e6).toFixed(1)} s (${((used.user + used.system) / 1000 / wall).toFixed(2)} cores on average)`);
} finally {
  clearInterval(sampler);
  process.kill(-server.pid!, "SIGTERM");
}
process.exit(0);
