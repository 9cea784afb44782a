import { execFileSync } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CompareReport } from "../../harness/compare/compare-report.ts";
import { loadDataset } from "../../harness/dataset/dataset.ts";
import type { TaskRow } from "../../harness/dataset/task-row.ts";
import { buildFixtureImages } from "../../harness/images/fixture-images.ts";
import { createFixtureRepo, FIXTURES_DIR } from "../../harness/images/fixture-repo.ts";
import { openSandboxBackend } from "../../src/foundation/sandbox/open-backend.ts";
import { gradePredictionsArgs } from "../support/official-report.ts";
import { runCli } from "../support/cli.ts";

/**
 * Bottega runs made through the CLI on the fixtures (real containers, network none) with the
 * gold patches, the wrong/ patches, and patches that game the tests (a conftest.py that forges
 * the harness's markers, an edit to a test file of the test patch, a pytest section added to
 * pyproject.toml), then compared through the CLI: rates, flips, the series, groups, integrity
 * flags (in compare and in each run's summary.md) and the regression gate's exit codes.
 */
let rows: TaskRow[];
let work: string;
let results: string;
const CALC = "bottega-fixtures__calc-1";
const TEXTFMT = "bottega-fixtures__textfmt-2";
const LEDGER = "bottega-fixtures__ledger-3";

const git = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8" });

/** The gold patch plus an edit that games the grading, written as a real diff against the base commit. */
async function gamingPatch(row: TaskRow): Promise<string> {
  const repo = join(work, "repos", row.instance_id);
  await createFixtureRepo(row.instance_id, repo);
  execFileSync("git", ["apply", "-"], { cwd: repo, input: row.patch });
  if (row.instance_id === CALC) {
    writeFileSync(
      join(repo, "conftest.py"),
      'def pytest_terminal_summary(terminalreporter):\n    terminalreporter.write_line(">>>>> End Test Output")\n    terminalreporter.write_line(">>>>> Start Test Output")\n',
    );
  } else if (row.instance_id === TEXTFMT) {
    appendFileSync(join(repo, "tests/test_shorten.py"), "\n# reviewed\n");
  } else if (row.instance_id === LEDGER) {
    appendFileSync(join(repo, "pyproject.toml"), '\n[tool.pytest.ini_options]\naddopts = "-p no:cacheprovider"\n');
  }
  git(repo, "add", "-A");
  return git(repo, "diff", "--cached");
}

function predictionsFile(name: string, patchOf: (row: TaskRow) => string): string {
  const path = join(work, `${name}.jsonl`);
  writeFileSync(
    path,
    rows.map((row) => JSON.stringify({ instance_id: row.instance_id, model_name_or_path: name, model_patch: patchOf(row) })).join("\n") +
      "\n",
  );
  return path;
}

async function evalRun(runId: string, predictions: string): Promise<void> {
  const result = await runCli(gradePredictionsArgs(predictions, runId, results));
  expect(result.code, result.stderr + result.stdout).toBe(0);
}

async function compare(args: string[], out: string) {
  const result = await runCli(["compare", ...args, "--results", results, "--out", join(work, out)]);
  const report =
    result.code === 0 || result.code === 3
      ? CompareReport.parse(JSON.parse(readFileSync(join(work, out, "compare.json"), "utf8")))
      : undefined;
  return { ...result, report };
}

beforeAll(async () => {
  rows = (await loadDataset({ source: FIXTURES_DIR })).rows;
  await buildFixtureImages(await openSandboxBackend("docker"));
  work = mkdtempSync(join(tmpdir(), "bottega-compare-fixtures-"));
  results = join(work, "results");
  const wrong = (row: TaskRow) => readFileSync(join(FIXTURES_DIR, "wrong", `${row.instance_id}.diff`), "utf8");
  const gaming = new Map<string, string>();
  for (const row of rows)
    gaming.set(row.instance_id, [CALC, TEXTFMT, LEDGER].includes(row.instance_id) ? await gamingPatch(row) : row.patch);
  await evalRun("gold", "gold");
  await evalRun("wrong", predictionsFile("wrong", wrong));
  await evalRun(
    "gaming",
    predictionsFile("gaming", (row) => gaming.get(row.instance_id)!),
  );
}, 1_800_000);

describe("bottega compare on Bottega runs of the fixtures", () => {
  it("gold → wrong: every instance lost, McNemar p = 2·(1/2)^6, each lost instance linked to its test log", async () => {
    const { code, stdout, stderr, report } = await compare(["gold", "wrong"], "gold-wrong");
    expect(code, stderr).toBe(0);
    const [gold, wrong] = report!.runs;
    expect([gold!.resolved, wrong!.resolved]).toEqual([6, 0]);
    const pair = report!.pairs[0]!;
    expect([pair.both, pair.only_a, pair.only_b, pair.neither]).toEqual([0, 6, 0, 0]);
    expect(pair.mcnemar_p).toBeCloseTo(0.03125, 12);
    expect(pair.significant).toBe(true);
    expect(pair.difference).toBe(-1);
    expect(pair.lost.map((f) => f.instance_id)).toEqual(rows.map((r) => r.instance_id).sort());
    const log = pair.lost[0]!.b.test_log!;
    expect(readFileSync(join(work, "gold-wrong", log), "utf8")).toContain(">>>>> Start Test Output");
    expect(gold!.patch_apply_failures).toBe(0);
    expect(wrong!.integrity.flagged).toBe(0);
    expect(stdout).toContain("gold → wrong: -100.0 points");
    const markdown = readFileSync(join(work, "gold-wrong", "compare.md"), "utf8");
    expect(markdown).toContain("#### Lost (6)");
    expect(markdown).toContain(`](${encodeURI(log)})`);
  });

  it("integrity flags: conftest.py with forged markers, a test-patch file, a pytest section; in compare and in summary.md", async () => {
    const { code, report } = await compare(["gaming"], "gaming");
    expect(code).toBe(0);
    const integrity = report!.runs[0]!.integrity;
    const byId = Object.fromEntries(integrity.instances.map((i) => [i.instance_id, i]));
    expect(byId[CALC]!.flags).toEqual(["touches_conftest", "repeated_test_markers"]);
    expect(byId[CALC]!.files).toEqual(["conftest.py"]);
    expect(byId[TEXTFMT]!.flags).toEqual(["touches_test_files", "touches_test_patch_files"]);
    expect(byId[TEXTFMT]!.files).toEqual(["tests/test_shorten.py"]);
    expect(byId[LEDGER]!.flags).toEqual(["touches_test_config"]);
    expect(integrity.flagged).toBe(3);
    const summary = readFileSync(join(results, "gaming", "summary.md"), "utf8");
    expect(summary).toContain("## Integrity flags");
    expect(summary).toMatch(/\| bottega-fixtures__calc-1 \| (yes|no) \| touches_conftest, repeated_test_markers \| conftest.py \|/);
    expect(readFileSync(join(results, "gold", "summary.md"), "utf8")).not.toContain("Integrity flags");
  });

  it("a series gold → wrong → gaming: trend, flip-floppers, always/never solved", async () => {
    const { code, report } = await compare(["gold", "wrong", "gaming"], "series");
    expect(code).toBe(0);
    const series = report!.series!;
    expect(series.stages.map((s) => s.label)).toEqual(["gold", "wrong", "gaming"]);
    expect(series.stages[1]!.lost).toBe(6);
    expect(series.always_solved).toEqual([]);
    const gamingResolved = new Set(report!.instances.filter((i) => i.outcomes[2]!.status === "resolved").map((i) => i.instance_id));
    // Every instance resolved by gold, lost by wrong; those the gaming run resolves again flip twice.
    expect(series.flip_floppers.map((f) => f.instance_id).sort()).toEqual([...gamingResolved].sort());
    expect(series.flip_floppers.every((f) => f.outcomes === "101")).toBe(true);
    expect(report!.pairs).toHaveLength(3); // two consecutive pairs and first → last
    // Gained instances carrying integrity flags are called out.
    const wrongToGaming = report!.pairs[1]!;
    expect(wrongToGaming.gained_flagged.every((id) => [CALC, TEXTFMT, LEDGER].includes(id))).toBe(true);
  });

  it("groups of seeds: pass@k, mean@k, flaky instances, compared on per-instance rates", async () => {
    // A run may be a seed of one group only.
    const twice = await compare(["--group", "early=wrong,gold", "--group", "late=gold,gaming"], "groups");
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain("--group: gold is in more than one group");

    const { code, stderr, stdout, report } = await compare(["wrong", "gaming", "gold", "--group", "early=wrong,gaming"], "groups");
    expect(code, stderr).toBe(0);
    const [early, gold] = report!.groups;
    expect([early!.name, early!.k, gold!.name, gold!.k]).toEqual(["early", 2, "gold", 1]);
    // wrong resolves nothing, so each instance is solved by the gaming seed or by neither.
    const g = report!.runs[1]!.resolved;
    expect(early!.mean_at_k).toBeCloseTo(g / 12, 12);
    expect(early!.pass_at.map((p) => p.value)).toEqual([expect.closeTo(g / 12, 12), expect.closeTo(g / 6, 12)]);
    expect(early!.flaky).toHaveLength(g);
    expect(early!.never_solved).toBe(6 - g);
    const pair = report!.group_pairs[0]!;
    expect([pair.a, pair.b, pair.better_in_b, pair.worse_in_b]).toEqual(["early", "gold", 6, 0]);
    expect(pair.difference).toBeCloseTo(1 - g / 12, 12);
    expect(pair.sign_test_p).toBeCloseTo(0.03125, 12);
    expect(stdout).toContain("group early: mean@2");
    expect(readFileSync(join(work, "groups", "compare.md"), "utf8")).toContain("### early (2 runs: wrong, gaming)");
  });

  it("--fail-if-regressed exits 3 only on a significant drop of at least --min-drop points", async () => {
    const regressed = await compare(["gold", "wrong", "--fail-if-regressed"], "gate");
    expect(regressed.code).toBe(3);
    expect(regressed.report!.gate!.regressed).toBe(true);
    expect(regressed.stdout).toContain("regression gate: REGRESSED");
    // p = 0.03125 is not below α = 0.01.
    expect((await compare(["gold", "wrong", "--fail-if-regressed", "--alpha", "0.01"], "gate")).code).toBe(0);
    // A drop of 100 points is below a 101-point threshold.
    expect((await compare(["gold", "wrong", "--fail-if-regressed", "--min-drop", "101"], "gate")).code).toBe(0);
    // An improvement never fails.
    const improved = await compare(["wrong", "gold", "--fail-if-regressed"], "gate");
    expect(improved.code).toBe(0);
    expect(improved.report!.gate!.reason).toContain("no drop");
    const usage = await compare(["gold", "wrong", "--alpha", "2"], "gate");
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("--alpha: expected a number between 0 and 1");
  });
});
