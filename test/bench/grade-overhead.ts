/**
 * The harness's own overhead per graded instance — container create+start, copying the patch
 * and eval.sh in, applying the patch, teardown — measured side by side with the same steps done
 * by the docker CLI (the floor a shell script would get), interleaved in one run because this
 * machine is noisy. The test run itself (eval.sh) is left out: it is the task's cost, not ours.
 *
 *   npx tsx test/bench/grade-overhead.ts [rounds=15]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadDataset } from "../../harness/dataset/dataset.ts";
import { FIXTURES_DIR } from "../../harness/images/fixture-repo.ts";
import { applyImageTemplate, FIXTURE_IMAGE_TEMPLATE } from "../../harness/images/image-name.ts";
import { connectDocker } from "../../src/foundation/sandbox/docker/docker-engine.ts";
import { DockerSandbox } from "../../src/foundation/sandbox/docker/docker-sandbox.ts";

const rounds = Number(process.argv[2] ?? 15);
const docker = await connectDocker();
const row = (await loadDataset({ source: FIXTURES_DIR })).rows[0]!;
const image = applyImageTemplate(FIXTURE_IMAGE_TEMPLATE, row);
const script = "#!/bin/bash\necho eval\n";
const dir = mkdtempSync(join(tmpdir(), "bench-"));
writeFileSync(join(dir, "patch.diff"), row.patch);
writeFileSync(join(dir, "eval.sh"), script);

async function bottega(): Promise<number> {
  const started = performance.now();
  const box = await DockerSandbox.create(docker, { image, network: "none", workdir: "/testbed", labels: { "bottega.run": "bench" } });
  await box.writeFile("/tmp/patch.diff", row.patch);
  await box.writeFile("/eval.sh", script);
  const applied = await box.exec("git apply --verbose /tmp/patch.diff", { cwd: "/testbed" });
  if (applied.exitCode !== 0) throw new Error(applied.output);
  await box.remove();
  return performance.now() - started;
}

function cli(): number {
  const started = performance.now();
  const docker = (...args: string[]) =>
    execFileSync("docker", args, { stdio: ["ignore", "pipe", "pipe"] })
      .toString()
      .trim();
  const id = docker(
    "run",
    "-d",
    "--init",
    "--network",
    "none",
    "-w",
    "/testbed",
    "--label",
    "bottega.run=bench",
    image,
    "tail",
    "-f",
    "/dev/null",
  );
  docker("cp", join(dir, "patch.diff"), `${id}:/tmp/patch.diff`);
  docker("cp", join(dir, "eval.sh"), `${id}:/eval.sh`);
  docker("exec", "-w", "/testbed", id, "git", "apply", "--verbose", "/tmp/patch.diff");
  docker("rm", "-f", id);
  return performance.now() - started;
}

const ours: number[] = [];
const theirs: number[] = [];
await bottega();
cli();
for (let i = 0; i < rounds; i++) {
  // Alternate which goes first so drift in the machine's load hits both alike.
  if (i % 2 === 0) {
    ours.push(await bottega());
    theirs.push(cli());
  } else {
    theirs.push(cli());
    ours.push(await bottega());
  }
}
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const fmt = (xs: number[]) => `p50 ${quantile(xs, 0.5).toFixed(0)} ms, p95 ${quantile(xs, 0.95).toFixed(0)} ms`;
console.log(`rounds: ${rounds}, image: ${image}`);
console.log(`bottega (dockerode): ${fmt(ours)}`);
console.log(`docker CLI:          ${fmt(theirs)}`);
console.log(`ratio bottega/CLI at p50: ${(quantile(ours, 0.5) / quantile(theirs, 0.5)).toFixed(2)}`);
