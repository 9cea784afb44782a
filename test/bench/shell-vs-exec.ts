/**
 * Per-tool-call overhead of the agent's persistent shell against a fresh `docker exec` per call
 * (what mini-swe-agent does), measured side by side, interleaved, in one container.
 *
 *   npx tsx test/bench/shell-vs-exec.ts [calls=200]
 */
import { execFileSync } from "node:child_process";
import { BASE_IMAGE } from "../../src/foundation/sandbox/docker/base-image.ts";
import { connectDocker } from "../../src/foundation/sandbox/docker/docker-engine.ts";
import { DockerSandbox } from "../../src/foundation/sandbox/docker/docker-sandbox.ts";

const calls = Number(process.argv[2] ?? 200);
const box = await DockerSandbox.create(await connectDocker(), { image: BASE_IMAGE, network: "none", labels: { "bottega.run": "bench" } });
const shell = await box.openShell({ init: ["cd /tmp"] });
const command = "cd /tmp && echo ok";
const timed = async (run: () => Promise<unknown> | unknown) => {
  const started = performance.now();
  await run();
  return performance.now() - started;
};
const results = { shell: [] as number[], exec: [] as number[], cli: [] as number[] };
try {
  for (let i = 0; i < 5; i++) await Promise.all([shell.run(command), box.exec(command)]);
  for (let i = 0; i < calls; i++) {
    results.shell.push(await timed(() => shell.run(command)));
    results.exec.push(await timed(() => box.exec(command)));
    results.cli.push(await timed(() => execFileSync("docker", ["exec", box.id, "bash", "-c", command])));
  }
} finally {
  await shell.close();
  await box.remove();
}
const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
console.log(`calls: ${calls} each, interleaved, command: ${command}`);
for (const [name, xs] of Object.entries(results))
  console.log(`${name.padEnd(6)} p50 ${q(xs, 0.5).toFixed(1)} ms  p95 ${q(xs, 0.95).toFixed(1)} ms`);
console.log(
  `persistent shell / dockerode exec: p50 ${(q(results.shell, 0.5) / q(results.exec, 0.5)).toFixed(2)}, p95 ${(q(results.shell, 0.95) / q(results.exec, 0.95)).toFixed(2)}`,
);
console.log(
  `persistent shell / docker CLI exec: p50 ${(q(results.shell, 0.5) / q(results.cli, 0.5)).toFixed(2)}, p95 ${(q(results.shell, 0.95) / q(results.cli, 0.95)).toFixed(2)}`,
);
