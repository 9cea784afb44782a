/**
 * Cold start of the CLI: `bottega --help`, `bottega eval --help` and `bottega status` on a finished
 * run, each run through tsx from the TypeScript sources (how bin/bottega.js ran before the build
 * step) and from the compiled dist/ (how it runs now), interleaved with `node -e 0` in one run
 * because this machine is noisy. Reports medians and their ratio to `node -e 0`.
 *
 * With a second argument, the root of another built checkout (e.g. a `git worktree` of an older
 * commit after `npm run build`), its dist/ runs the same commands in the same rounds ("base").
 *
 *   npm run build && npx tsx test/bench/cold-start.ts [rounds=15] [baseline-root]
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "../support/cli.ts";
import { writeRunJsonFile } from "../support/run-json-file.ts";

const rounds = Number(process.argv[2] ?? 15);
const baseline = process.argv[3];
const results = mkdtempSync(join(tmpdir(), "bench-cold-start-"));
const runDir = join(results, "bench");
mkdirSync(runDir);
const t = new Date().toISOString();
writeRunJsonFile(runDir, { runId: "bench", dataset: "tasks/fixtures", grade: true });
writeFileSync(
  join(runDir, "events.jsonl"),
  [
    { type: "run_started", runId: "bench", total: 1, todo: 1, t },
    { type: "graded", instance_id: "a", resolved: true, t },
    { type: "run_finished", interrupted: false, t },
  ]
    .map((e) => `${JSON.stringify(e)}\n`)
    .join(""),
);

const TSX = ["--import", "tsx", join(PROJECT_ROOT, "src/shell/commands/main.ts")];
const DIST = [join(PROJECT_ROOT, "bin/bottega.js")];
const commands: Record<string, string[]> = {
  "--help": ["--help"],
  "eval --help": ["eval", "--help"],
  "compare --help": ["compare", "--help"],
  "fix --help": ["fix", "--help"],
  "status --run-id bench": ["status", "--run-id", "bench", "--results", results],
};
const cases: Record<string, string[]> = { "node -e 0": ["-e", "0"] };
for (const [name, args] of Object.entries(commands)) {
  cases[`tsx  ${name}`] = [...TSX, ...args];
  cases[`dist ${name}`] = [...DIST, ...args];
  if (baseline) cases[`base ${name}`] = [join(baseline, "bin/bottega.js"), ...args];
}

const samples = new Map<string, number[]>(Object.keys(cases).map((name) => [name, []]));
for (let round = 0; round < rounds; round++) {
  for (const [name, args] of Object.entries(cases)) {
    const started = performance.now();
    execFileSync(process.execPath, args, { cwd: PROJECT_ROOT, stdio: "ignore", env: { ...process.env, CI: "true" } });
    samples.get(name)!.push(performance.now() - started);
  }
}
rmSync(results, { recursive: true, force: true });

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};
const base = median(samples.get("node -e 0")!);
console.log(`cold start, median of ${rounds} interleaved rounds (node ${process.version})`);
for (const [name, values] of samples) {
  const m = median(values);
  console.log(`${name.padEnd(28)} ${m.toFixed(0).padStart(6)} ms  ${(m / base).toFixed(2)}× node -e 0`);
}
