/**
 * Concurrent agent episodes against scripted servers (each in its own process) answering every
 * request after `latency` ms: the run's wall time against the ideal (the model's time alone,
 * calls × latency, as if containers and tools were free), in two modes in one invocation —
 * the container started before the first model call, and the first call sent while the
 * container starts — then this runner's peak RSS and CPU. With several endpoints, the requests
 * and cached share of each.
 *
 *   npx tsx test/bench/concurrent-episodes.ts [episodes=64] [steps=10] [latencyMs=200] [endpoints=1]
 */
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadDataset } from "../../harness/dataset/dataset.ts";
import { FIXTURES_DIR } from "../../harness/images/fixture-repo.ts";
import { applyImageTemplate, FIXTURE_IMAGE_TEMPLATE } from "../../harness/images/image-name.ts";
import { readRunJson } from "../../harness/run/run-json.ts";
import { runBatch } from "../../harness/run/run-orchestrator.ts";
import { openSandboxBackend } from "../../src/foundation/sandbox/open-backend.ts";

const episodes = Number(process.argv[2] ?? 64);
const steps = Number(process.argv[3] ?? 10);
const latencyMs = Number(process.argv[4] ?? 200);
const endpointCount = Number(process.argv[5] ?? 1);

// A dataset of `episodes` copies of the fixtures, each pointing at its fixture image and
// marked in its task so that each is a conversation of its own on the servers.
const dir = mkdtempSync(join(tmpdir(), "bench-dataset-"));
const fixtures = (await loadDataset({ source: FIXTURES_DIR })).rows;
const rows = Array.from({ length: episodes }, (_, i) => {
  const row = fixtures[i % fixtures.length]!;
  return {
    ...row,
    instance_id: `${row.instance_id}-copy${i}`,
    problem_statement: `${row.problem_statement}\n[copy ${i}]`,
    image: applyImageTemplate(FIXTURE_IMAGE_TEMPLATE, row),
    FAIL_TO_PASS: JSON.stringify(row.FAIL_TO_PASS),
    PASS_TO_PASS: JSON.stringify(row.PASS_TO_PASS),
  };
});
writeFileSync(join(dir, "test.jsonl"), rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
copyFileSync(join(FIXTURES_DIR, "specs.json"), join(dir, "specs.json"));

const servers: ChildProcess[] = [];
const urls: string[] = [];
for (let i = 0; i < endpointCount; i++) {
  const server = spawn("npx", ["tsx", "test/bench/fake-server-process.ts", String(steps), String(latencyMs), String(episodes)], {
    stdio: ["ignore", "pipe", "inherit"],
    detached: true,
  });
  servers.push(server);
  urls.push(await new Promise<string>((resolve) => server.stdout!.once("data", (d: Buffer) => resolve(d.toString().trim()))));
}
// Each episode makes steps + 2 model calls (the bash steps, then submit and its confirmation).
const ideal = (steps + 2) * latencyMs;
console.log(
  `${episodes} concurrent episodes, ${steps + 2} model calls each at ${latencyMs} ms, over ${endpointCount} endpoint(s); ideal ${(ideal / 1000).toFixed(1)} s (model time alone)`,
);

async function measure(label: string, overlapContainer: boolean, runId: string) {
  const results = join(dir, `results-${runId}`);
  mkdirSync(results);
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await runBatch(
    {
      runId,
      resultsDir: results,
      dataset: dir,
      model: { baseURL: urls[0]! },
      modelURLs: urls.length > 1 ? urls : undefined,
      grade: false,
      workers: episodes,
      agentNetwork: "none",
      reviewOnSubmit: true,
      overlapContainer,
    },
    { openSandboxes: (config) => openSandboxBackend("docker", config) },
  );
  const wall = performance.now() - started;
  clearInterval(sampler);
  const used = process.cpuUsage(cpu);
  const finished = readFileSync(result.layout.predictions, "utf8").trim().split("\n").length;
  let modelMs = 0;
  let toolMs = 0;
  let n = 0;
  for (const name of readdirSync(join(result.layout.root, "trajectories"))) {
    for (const step of JSON.parse(readFileSync(join(result.layout.root, "trajectories", name), "utf8")).steps) {
      modelMs += step.model_latency_ms;
      toolMs += step.tool_ms;
      n++;
    }
  }
  console.log(`\n${label}: finished ${finished}/${episodes}`);
  console.log(`  wall ${(wall / 1000).toFixed(1)} s vs ideal ${(ideal / 1000).toFixed(1)} s: ratio ${(wall / ideal).toFixed(2)}`);
  console.log(`  per step on average: model call ${(modelMs / n).toFixed(0)} ms (incl. /tokenize), tool ${(toolMs / n).toFixed(0)} ms`);
  console.log(`  runner peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MiB, CPU ${((used.user + used.system) / 1e6).toFixed(1)} s`);
  const figures = readRunJson(result.layout.runJson).endpoints ?? [];
  if (figures.length > 1) {
    for (const f of figures) {
      console.log(
        `  ${f.url}: ${f.episodes} episodes, ${f.requests} requests, cached ${(100 * (f.cached_share ?? 0)).toFixed(1)}% of ${f.prompt_tokens} prompt tokens`,
      );
    }
  }
  return wall;
}

try {
  const before = await measure("container first, then the first model call", false, "container-first");
  const after = await measure("first model call while the container starts, removal off the critical path", true, "overlapped");
  console.log(`\noverlapped / container-first: ${(after / before).toFixed(2)}`);
} finally {
  for (const server of servers) process.kill(-server.pid!, "SIGTERM");
}
process.exit(0);
