/**
 * The floor under concurrent episodes: N agent sandboxes of a fixture image started at once
 * through the Docker back end (the run's containment: memory, pids, capabilities), then the same
 * with each one's shell opened. When the last one is ready is the time no scheduling can win
 * back on this machine; concurrent-episodes.ts's wall time is that plus the model's time.
 *
 *   npx tsx test/bench/container-starts.ts [sandboxes=64] [rounds=2]
 */
import { FIXTURE_IMAGE_TEMPLATE, applyImageTemplate } from "../../harness/images/image-name.ts";
import { openSandboxBackend } from "../../src/foundation/sandbox/open-backend.ts";

const count = Number(process.argv[2] ?? 64);
const rounds = Number(process.argv[3] ?? 2);
const image = applyImageTemplate(FIXTURE_IMAGE_TEMPLATE, {
  instance_id: "bottega-fixtures__calc-1",
  repo: "bottega-fixtures/calc",
  version: "1",
});

async function startAll(withShell: boolean): Promise<{ lastReady: number; median: number }> {
  const backend = await openSandboxBackend("docker", { runId: "bench-starts", network: { agent: "none" }, pidsLimit: 4096 });
  const started = performance.now();
  const ready = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const sandbox = await backend.create({ image, role: "agent", instanceId: `start-${i}` });
      if (withShell) await (await sandbox.openShell({ init: ["cd /testbed"] })).run("git rev-parse HEAD");
      return performance.now() - started;
    }),
  );
  await backend.removeAll();
  ready.sort((a, b) => a - b);
  return { lastReady: ready.at(-1)!, median: ready[Math.floor(ready.length / 2)]! };
}

console.log(`${count} agent sandboxes of ${image} started at once (median and last ready, ms)`);
for (let round = 1; round <= rounds; round++) {
  for (const withShell of [false, true]) {
    const { lastReady, median } = await startAll(withShell);
    console.log(
      `round ${round} ${withShell ? "container + shell + first command" : "container only              "}: median ${median.toFixed(0)}  last ${lastReady.toFixed(0)}  (${(lastReady / count).toFixed(0)} ms per sandbox)`,
    );
  }
}
process.exit(0);
