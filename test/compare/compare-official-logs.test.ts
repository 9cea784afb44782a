import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CompareReport } from "../../harness/compare/compare-report.ts";
import { PROJECT_ROOT, runCli } from "../support/cli.ts";
import { writeRunJsonFile } from "../support/run-json-file.ts";

/**
 * `bottega compare` on real official outputs (shared/data/official-logs: one official v4.1.0
 * run of 100 Verified instances): the instance folders, the official run report, and a Bottega
 * run re-graded from the same test logs with `bottega grade --run-id`, which must agree with
 * the official run on every instance (zero flips).
 */
const SHARED = path.resolve(PROJECT_ROOT, "../shared");
const LOGS = path.join(SHARED, "data/official-logs");
const PARQUET = path.join(SHARED, "data/swe-bench-verified.parquet");
const present = existsSync(path.join(LOGS, "run-report.json")) && existsSync(PARQUET);
if (!present) console.warn(`SKIPPED compare-official-logs.test.ts: ${LOGS} or ${PARQUET} is absent`);

let work: string;
const RUN_ID = "official-regraded";

function readReport(out: string): CompareReport {
  return CompareReport.parse(JSON.parse(readFileSync(path.join(out, "compare.json"), "utf8")));
}

/** A Bottega run folder made of the official run's own test logs and dataset rows, then re-graded by the CLI. */
async function regradedRun(): Promise<void> {
  const results = path.join(work, "results");
  const root = path.join(results, RUN_ID);
  const folders = readdirSync(LOGS)
    .filter((name) => statSync(path.join(LOGS, name)).isDirectory())
    .sort();
  const rows = folders.map((id) => readFileSync(path.join(LOGS, id, "row.json"), "utf8").trim());
  writeFileSync(path.join(work, "rows.jsonl"), rows.join("\n") + "\n");
  // The official folder publishes no patches: each instance's patch is taken to exist, as `grade` does.
  const predictions = folders.map((id) =>
    JSON.stringify({ instance_id: id, model_name_or_path: "vexp", model_patch: "(patch not published)" }),
  );
  mkdirSync(root, { recursive: true });
  writeFileSync(path.join(work, "predictions.jsonl"), predictions.join("\n") + "\n");
  copyFileSync(path.join(work, "predictions.jsonl"), path.join(root, "predictions.jsonl"));
  writeRunJsonFile(root, {
    runId: RUN_ID,
    resultsDir: results,
    dataset: path.join(work, "rows.jsonl"),
    predictions: path.join(work, "predictions.jsonl"),
  });
  for (const id of folders) {
    const log = path.join(LOGS, id, "test_output.txt");
    if (!existsSync(log)) continue;
    mkdirSync(path.join(root, "logs", id), { recursive: true });
    copyFileSync(log, path.join(root, "logs", id, "test_output.txt"));
    writeFileSync(path.join(root, "logs", id, "patch.diff"), "(patch not published)");
  }
  const graded = await runCli(["grade", "--run-id", RUN_ID, "--results", results]);
  expect(graded.code, graded.stderr).toBe(0);
}

describe.skipIf(!present)("bottega compare on the official run's outputs", () => {
  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), "bottega-compare-official-"));
    await regradedRun();
  }, 300_000);

  it("the official folder and the Bottega re-grade of its logs agree on every instance: zero flips", async () => {
    const out = path.join(work, "out-regrade");
    const result = await runCli(["compare", LOGS, RUN_ID, "--results", path.join(work, "results"), "--out", out]);
    expect(result.code, result.stderr).toBe(0);
    const report = readReport(out);
    expect(report.instances_compared).toBe(99);
    const [official, bottega] = report.runs;
    expect(official!.kind).toBe("official_logs");
    expect(bottega!.kind).toBe("bottega_run");
    expect(official!.resolved).toBe(73);
    expect(bottega!.resolved).toBe(73);
    const pair = report.pairs[0]!;
    expect([pair.only_a, pair.only_b, pair.gained.length, pair.lost.length]).toEqual([0, 0, 0, 0]);
    expect(pair.mcnemar_p).toBe(1);
    // The interrupted instance has neither report nor log: an error in both.
    expect(official!.status_counts.error).toBe(1);
    expect(bottega!.status_counts.error).toBe(1);
    expect(result.stdout).toContain("+0 −0");
    // Per-repository rows come from the Bottega run's dataset (row.json files): all 12 repositories.
    expect(pair.by_repository).toHaveLength(12);
    expect(official!.integrity.logs_checked).toBe(98);
    expect(official!.integrity.by_flag.repeated_test_markers).toBe(0);
  });

  it("the official run report against the folder, completed from --dataset: 73/500 both, all 500 instances", async () => {
    const out = path.join(work, "out-report");
    const result = await runCli(["compare", LOGS, path.join(LOGS, "run-report.json"), "--dataset", PARQUET, "--out", out]);
    expect(result.code, result.stderr).toBe(0);
    const report = readReport(out);
    expect(report.instances_compared).toBe(500);
    const [folder, runReport] = report.runs;
    expect(runReport!.kind).toBe("official_run_report");
    expect(runReport!.resolved).toBe(73);
    expect(runReport!.rate).toBeCloseTo(0.146, 10);
    expect(runReport!.status_counts).toEqual({ resolved: 73, unresolved: 26, empty_patch: 1, error: 0, no_prediction: 400 });
    // The folder has no empty-patch instance (it has no folder), so it is unsubmitted there.
    expect(folder!.status_counts.no_prediction).toBe(401);
    expect(report.pairs[0]!.only_a + report.pairs[0]!.only_b).toBe(0);
    // Verified's difficulty column, read from the dataset: 194 / 261 / 42 / 3.
    expect(Object.fromEntries(runReport!.by_difficulty.map((r) => [r.key, r.total]))).toEqual({
      "1-4 hours": 42,
      "15 min - 1 hour": 261,
      "<15 min fix": 194,
      ">4 hours": 3,
    });
    expect(runReport!.by_repository.find((r) => r.key === "django/django")!.total).toBe(231);
    // The markdown says the same numbers.
    const markdown = readFileSync(path.join(out, "compare.md"), "utf8");
    expect(markdown).toContain("**Resolved 73 / 500 = 14.6%**");
  });

  it("runs over different instances are a usage error naming the counts and the odd ids, unless --allow-different-instances", async () => {
    const out = path.join(work, "out-different");
    const args = ["compare", path.join(LOGS, "run-report.json"), RUN_ID, "--results", path.join(work, "results"), "--out", out];
    const refused = await runCli(args);
    expect(refused.code).toBe(2);
    // The run report lists 100 ids (its 400 other rows are only counted): the empty-patch one has no log folder.
    expect(refused.stderr).toContain(
      "different instances (run-report has 100, official-regraded has 99; 99 in common; only in run-report: django__django-13513)",
    );
    const allowed = await runCli([...args, "--allow-different-instances"]);
    expect(allowed.code, allowed.stderr).toBe(0);
    const report = readReport(out);
    expect(report.instances_compared).toBe(99);
    expect(report.excluded).toEqual([{ run: "run-report", instance_ids: ["django__django-13513"] }]);
    expect(report.pairs[0]!.only_a + report.pairs[0]!.only_b).toBe(0);
  });

  it("an experiments submission (results/results.json with its logs/) agrees with the official folder", async () => {
    // The layout the SWE-bench experiments repository keeps: evaluation/<split>/<submission>/{logs,results}.
    const submission = path.join(work, "evaluation", "verified", "20260322_vexp");
    const folders = readdirSync(LOGS).filter((name) => statSync(path.join(LOGS, name)).isDirectory());
    const resolved: string[] = [];
    for (const id of folders) {
      mkdirSync(path.join(submission, "logs", id), { recursive: true });
      for (const file of ["report.json", "test_output.txt"]) {
        if (existsSync(path.join(LOGS, id, file))) copyFileSync(path.join(LOGS, id, file), path.join(submission, "logs", id, file));
      }
      const report = path.join(LOGS, id, "report.json");
      if (existsSync(report) && JSON.parse(readFileSync(report, "utf8"))[id].resolved) resolved.push(id);
    }
    mkdirSync(path.join(submission, "results"), { recursive: true });
    writeFileSync(
      path.join(submission, "results", "results.json"),
      JSON.stringify({ no_generation: ["django__django-13513"], no_logs: ["pydata__xarray-6992"], resolved }),
    );
    const out = path.join(work, "out-experiments");
    const result = await runCli(["compare", path.join(LOGS, "run-report.json"), submission, "--dataset", PARQUET, "--out", out]);
    expect(result.code, result.stderr).toBe(0);
    const report = readReport(out);
    const experiments = report.runs[1]!;
    expect(experiments.kind).toBe("experiments_results");
    expect(experiments.label).toBe("20260322_vexp");
    expect(experiments.resolved).toBe(73);
    expect(experiments.n).toBe(500);
    expect(report.pairs[0]!.only_a + report.pairs[0]!.only_b).toBe(0);
    // Its logs are found beside results/, so flips would link to them.
    expect(report.instances.find((i) => i.instance_id === resolved[0])!.outcomes[1]!.test_log).toMatch(/logs\/.+\/test_output\.txt$/);
  });

  it("a single run renders its own report", async () => {
    const out = path.join(work, "out-single");
    const result = await runCli(["compare", path.join(LOGS, "run-report.json"), "--dataset", PARQUET, "--out", out]);
    expect(result.code, result.stderr).toBe(0);
    const report = readReport(out);
    expect(report.runs).toHaveLength(1);
    expect(report.pairs).toHaveLength(0);
    const markdown = readFileSync(path.join(out, "compare.md"), "utf8");
    expect(markdown).toContain("#### By repository");
    expect(markdown).toMatch(/\| sympy\/sympy \| 13 \| 75 \| 17\.3% \|/);
  });
});
