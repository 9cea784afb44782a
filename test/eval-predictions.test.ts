import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadDataset } from "../harness/dataset.ts";
import { FIXTURES_DIR } from "../harness/fixture-repo.ts";
import { buildFixtureImages } from "../harness/fixture-images.ts";
import type { TaskRow } from "../harness/task-row.ts";
import { connectDocker } from "../src/sandbox/docker-engine.ts";
import { runCli } from "./support/cli.ts";

/**
 * `bottega eval --predictions` end to end, through the CLI, against real containers built from
 * the bundled fixtures (network none).
 */
let rows: TaskRow[];
let results: string;

const OFFICIAL_RUN_REPORT_KEYS = [
  "total_instances",
  "submitted_instances",
  "completed_instances",
  "resolved_instances",
  "unresolved_instances",
  "empty_patch_instances",
  "error_instances",
  "completed_ids",
  "incomplete_ids",
  "empty_patch_ids",
  "submitted_ids",
  "resolved_ids",
  "unresolved_ids",
  "error_ids",
  "schema_version",
];

beforeAll(async () => {
  rows = (await loadDataset({ source: FIXTURES_DIR })).rows;
  await buildFixtureImages(await connectDocker());
  results = mkdtempSync(join(tmpdir(), "bottega-eval-"));
});

function predictionsFile(name: string, patchOf: (row: TaskRow) => string | null): string {
  const path = join(results, `${name}.jsonl`);
  writeFileSync(path, rows.map((row) => JSON.stringify({ instance_id: row.instance_id, model_name_or_path: name, model_patch: patchOf(row) })).join("\n") + "\n");
  return path;
}

async function evalRun(runId: string, predictions: string) {
  const result = await runCli(["eval", "--predictions", predictions, "--run-id", runId, "--results", results, "--network", "none", "--workers", "2"]);
  expect(result.code, result.stderr + result.stdout).toBe(0);
  const report = JSON.parse(readFileSync(join(results, runId, "report.json"), "utf8"));
  expect(Object.keys(report)).toEqual(OFFICIAL_RUN_REPORT_KEYS);
  return report;
}

const ids = () => rows.map((row) => row.instance_id).sort();

describe("bottega eval --predictions on the fixtures", () => {
  it("resolves every fixture with the gold patches, writing the official per-instance files", async () => {
    const report = await evalRun("gold", "gold");
    expect(report.resolved_ids).toEqual(ids());
    expect(report.error_ids).toEqual([]);
    for (const id of ids()) {
      const dir = join(results, "gold", "logs", id);
      expect(readdirSync(dir).sort()).toEqual(["eval.sh", "patch.diff", "report.json", "run_instance.log", "test_output.txt"]);
      const instance = JSON.parse(readFileSync(join(dir, "report.json"), "utf8"))[id];
      expect(instance.resolved).toBe(true);
      expect(instance.tests_status.FAIL_TO_PASS.failure).toEqual([]);
      expect(readFileSync(join(dir, "test_output.txt"), "utf8")).toContain("+ : '>>>>> Start Test Output'");
    }
    const summary = readFileSync(join(results, "gold", "summary.md"), "utf8");
    expect(summary).toContain(`**Resolved ${rows.length} / ${rows.length} (100.0%)**`);
  });

  it("counts empty patches as empty, without running them", async () => {
    const report = await evalRun("empty", predictionsFile("empty", () => ""));
    expect(report.empty_patch_ids).toEqual(ids());
    expect(report.completed_ids).toEqual([]);
    expect(existsSync(join(results, "empty", "logs", rows[0]!.instance_id))).toBe(false);
  });

  it("grades the wrong patches unresolved", async () => {
    const report = await evalRun("wrong", predictionsFile("wrong", (row) => readFileSync(join(FIXTURES_DIR, "wrong", `${row.instance_id}.diff`), "utf8")));
    expect(report.unresolved_ids).toEqual(ids());
    expect(report.resolved_ids).toEqual([]);
    expect(report.error_ids).toEqual([]);
  });

  it("records a corrupt patch as an error, with the apply output in run_instance.log", async () => {
    // Hunk counts that promise more lines than the hunk has: both git and patch refuse it.
    const corrupt = (row: TaskRow) => row.patch.replace(/^@@ -(\d+),(\d+) \+(\d+),(\d+) @@/m, (_m, a, b, c, d) => `@@ -${a},${Number(b) + 7} +${c},${Number(d) + 7} @@`);
    const report = await evalRun("corrupt", predictionsFile("corrupt", corrupt));
    expect(report.error_ids).toEqual(ids());
    for (const id of ids()) {
      const dir = join(results, "corrupt", "logs", id);
      expect(existsSync(join(dir, "report.json"))).toBe(false);
      expect(existsSync(join(dir, "test_output.txt"))).toBe(false);
      const log = readFileSync(join(dir, "run_instance.log"), "utf8");
      expect(log).toContain("Failed to apply patch to container: git apply --verbose\n");
      expect(log).toContain("Failed to apply patch to container: patch --batch --fuzz=5 -p1 -i\n");
      expect(log).toMatch(/>>>>> Patch Apply Failed:\n.*(malformed|unexpectedly ends|Only garbage)/);
    }
  });
});
