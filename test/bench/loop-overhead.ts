/**
 * The agent loop's own CPU time per step against a zero-latency model: the scripted server runs
 * in another process and answers at once, each step is one cheap bash call in the persistent
 * shell, so what this process burns per step is the loop (request building, the openai client,
 * parsing, trajectory writes) plus the shell plumbing.
 *
 *   npx tsx test/bench/loop-overhead.ts [steps=100]
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadDataset } from "../../harness/dataset/dataset.ts";
import { FIXTURES_DIR } from "../../harness/images/fixture-repo.ts";
import { applyImageTemplate, FIXTURE_IMAGE_TEMPLATE } from "../../harness/images/image-name.ts";
import { runAgent } from "../../scaffold/agent.ts";
import { profileTools } from "../../scaffold/profiles.ts";
import { loadConfiguration } from "../../scaffold/config/swe-agent-config.ts";
import { ModelClient } from "../../src/foundation/model/model-client.ts";
import { connectDocker } from "../../src/foundation/sandbox/docker/docker-engine.ts";
import { DockerSandbox } from "../../src/foundation/sandbox/docker/docker-sandbox.ts";

const steps = Number(process.argv[2] ?? 100);
const server = spawn("npx", ["tsx", "test/bench/fake-server-process.ts", String(steps), "0"], {
  stdio: ["ignore", "pipe", "inherit"],
  detached: true,
});
const url = await new Promise<string>((resolve) => server.stdout.once("data", (d: Buffer) => resolve(d.toString().trim())));
const row = (await loadDataset({ source: FIXTURES_DIR })).rows[0]!;
const box = await DockerSandbox.create(await connectDocker(), {
  image: applyImageTemplate(FIXTURE_IMAGE_TEMPLATE, row),
  network: "none",
  labels: { "bottega.run": "bench" },
});
try {
  const shell = await box.openShell({ init: ["cd /testbed"] });
  const startCommit = (await box.exec("git rev-parse HEAD", { cwd: "/testbed" })).output.trim();
  const model = new ModelClient({ baseURL: url, useTokenize: true });
  await model.discover();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const outcome = await runAgent({
    task: { id: row.instance_id, problemStatement: row.problem_statement, repoRoot: "/testbed", startCommit },
    sandbox: box,
    shell,
    tools: profileTools("swe-agent", { commandTimeoutMs: 60_000, startCommit, reviewOnSubmit: true }),
    model,
    config: { ...loadConfiguration("tools").agent, stepLimit: steps + 5 },
    trajectoryPath: join(mkdtempSync(join(tmpdir(), "bench-")), "trajectory.json"),
  });
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const n = outcome.trajectory.steps.length;
  const toolMs = outcome.trajectory.steps.reduce((sum, s) => sum + s.tool_ms, 0);
  const modelMs = outcome.trajectory.steps.reduce((sum, s) => sum + s.model_latency_ms, 0);
  console.log(`steps: ${n} (${outcome.exitStatus})`);
  console.log(
    `wall per step: ${(wall / n).toFixed(1)} ms (model call ${(modelMs / n).toFixed(1)} ms incl. /tokenize, tool ${(toolMs / n).toFixed(1)} ms)`,
  );
  console.log(
    `runner CPU per step: ${((used.user + used.system) / 1000 / n).toFixed(1)} ms (user ${(used.user / 1000 / n).toFixed(1)}, system ${(used.system / 1000 / n).toFixed(1)})`,
  );
  console.log(`runner CPU / wall: ${((used.user + used.system) / 1000 / wall).toFixed(2)}`);
  await shell.close();
} finally {
  await box.remove();
  process.kill(-server.pid!, "SIGTERM");
}
process.exit(0);
