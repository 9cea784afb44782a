import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadDataset } from "../harness/dataset/dataset.ts";
import { FIXTURES_DIR } from "../harness/images/fixture-repo.ts";
import { applyImageTemplate, FIXTURE_IMAGE_TEMPLATE } from "../harness/images/image-name.ts";
import { buildFixtureImages } from "../harness/images/fixture-images.ts";
import type { TaskRow } from "../harness/dataset/task-row.ts";
import { openSandboxBackend } from "../src/foundation/sandbox/open-backend.ts";
import { BASE_IMAGE } from "../src/foundation/sandbox/sandbox-backend.ts";
import { gradePredictionsArgs, OFFICIAL_RUN_REPORT_KEYS } from "./support/official-report.ts";
import { runCli } from "./support/cli.ts";

/**
 * `bottega eval --predictions` end to end, through the CLI, against real containers built from
 * the bundled fixtures (network none).
 */
let rows: TaskRow[];
let results: string;

beforeAll(async () => {
  rows = (await loadDataset({ source: FIXTURES_DIR })).rows;
  await buildFixtureImages(await openSandboxBackend("docker"));
  results = mkdtempSync(join(tmpdir(), "bottega-eval-"));
});

function predictionsFile(name: string, patchOf: (row: TaskRow) => string | null): string {
  const path = join(results, `${name}.jsonl`);
  writeFileSync(
    path,
    rows.map((row) => JSON.stringify({ instance_id: row.instance_id, model_name_or_path: name, model_patch: patchOf(row) })).join("\n") +
      "\n",
  );
  return path;
}

/** Exit 0 when every instance was graded; 1 when some ended in errors (src/shell/commands/exit-codes.ts). */
async function evalRun(runId: string, predictions: string, expectedCode = 0) {
  const result = await runCli(gradePredictionsArgs(predictions, runId, results));
  expect(result.code, result.stderr + result.stdout).toBe(expectedCode);
  const report = JSON.parse(readFileSync(join(results, runId, "report.json"), "utf8"));
  expect(Object.keys(report)).toEqual(OFFICIAL_RUN_REPORT_KEYS);
  return report;
}

const ids = () => rows.map((row) => row.instance_id).sort();

/** The error sections of a run's summary.md: title → rows of [instance, phase, kind]. */
function summarySections(runId: string): Map<string, string[][]> {
  const sections = new Map<string, string[][]>();
  let current: string[][] | undefined;
  for (const line of readFileSync(join(results, runId, "summary.md"), "utf8").split("\n")) {
    const heading = /^## (.+?)(?: \(\d+\))?$/.exec(line);
    if (heading) sections.set(heading[1]!, (current = []));
    else if (current && line.startsWith("| ") && !line.startsWith("| instance") && !line.startsWith("| ---")) {
      current.push(
        line
          .split("|")
          .slice(1, 4)
          .map((cell) => cell.trim()),
      );
    }
  }
  return sections;
}

/** A copy of the fixtures whose rows name their image (the v5 `image` column) as `imageOf` says. */
function datasetWithImages(name: string, imageOf: (row: TaskRow) => string, only?: (row: TaskRow) => boolean): string {
  const dir = join(results, name);
  mkdirSync(dir);
  copyFileSync(join(FIXTURES_DIR, "specs.json"), join(dir, "specs.json"));
  const lines = readFileSync(join(FIXTURES_DIR, "test.jsonl"), "utf8")
    .trim()
    .split("\n")
    .flatMap((line) => {
      const row = JSON.parse(line) as TaskRow;
      return only && !only(row) ? [] : [JSON.stringify({ ...row, image: imageOf(row) })];
    });
  writeFileSync(join(dir, "test.jsonl"), lines.join("\n") + "\n");
  return dir;
}

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

  it("re-grades a finished run from its logs alone (grade --run-id) to the same reports", async () => {
    const reportOf = (id: string) => readFileSync(join(results, "gold", "logs", id, "report.json"), "utf8");
    const before = ids().map(reportOf);
    const runReport = readFileSync(join(results, "gold", "report.json"), "utf8");
    const result = await runCli(["grade", "--run-id", "gold", "--results", results]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`re-graded ${rows.length} logs`);
    expect(ids().map(reportOf)).toEqual(before);
    expect(readFileSync(join(results, "gold", "report.json"), "utf8")).toBe(runReport);
  });

  it("does nothing more when the same run is started again", async () => {
    const again = await runCli(["eval", "--predictions", "gold", "--run-id", "gold", "--results", results, "--network", "none"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`${rows.length} instances, 0 to do`);
    expect(again.stdout).toContain(`resolved ${rows.length}/${rows.length}`);
  });

  it("counts empty patches as empty, without running them", async () => {
    const report = await evalRun(
      "empty",
      predictionsFile("empty", () => ""),
    );
    expect(report.empty_patch_ids).toEqual(ids());
    expect(report.completed_ids).toEqual([]);
    expect(existsSync(join(results, "empty", "logs", rows[0]!.instance_id))).toBe(false);
  });

  it("grades the wrong patches unresolved", async () => {
    const report = await evalRun(
      "wrong",
      predictionsFile("wrong", (row) => readFileSync(join(FIXTURES_DIR, "wrong", `${row.instance_id}.diff`), "utf8")),
    );
    expect(report.unresolved_ids).toEqual(ids());
    expect(report.resolved_ids).toEqual([]);
    expect(report.error_ids).toEqual([]);
    // Which tests each wrong fix breaks was established when the fixtures were made.
    const expected = JSON.parse(readFileSync(join(FIXTURES_DIR, "wrong", "expected-status.json"), "utf8"));
    for (const id of ids()) {
      const status = JSON.parse(readFileSync(join(results, "wrong", "logs", id, "report.json"), "utf8"))[id].tests_status;
      expect({ FAIL_TO_PASS: status.FAIL_TO_PASS, PASS_TO_PASS: status.PASS_TO_PASS }).toEqual(expected[id]);
    }
  });

  it("records a corrupt patch as an error, with the apply output in run_instance.log", async () => {
    // Hunk counts that promise more lines than the hunk has: both git and patch refuse it.
    const corrupt = (row: TaskRow) =>
      row.patch.replace(/^@@ -(\d+),(\d+) \+(\d+),(\d+) @@/m, (_m, a, b, c, d) => `@@ -${a},${Number(b) + 7} +${c},${Number(d) + 7} @@`);
    const report = await evalRun("corrupt", predictionsFile("corrupt", corrupt), 1);
    expect(report.error_ids).toEqual(ids());
    for (const id of ids()) {
      const dir = join(results, "corrupt", "logs", id);
      expect(existsSync(join(dir, "report.json"))).toBe(false);
      expect(existsSync(join(dir, "test_output.txt"))).toBe(false);
      const log = readFileSync(join(dir, "run_instance.log"), "utf8");
      expect(log).toContain("Failed to apply patch to container: git apply --verbose\n");
      expect(log).toContain("Failed to apply patch to container: patch --batch --fuzz=5 -p1 -i\n");
      expect(log).toMatch(/>>>>> Patch Apply Failed:\n[\s\S]*(malformed|unexpected(ly)? end|Only garbage)/);
    }
    // A patch that does not apply is neither an evaluation failure nor the machine's.
    const sections = summarySections("corrupt");
    expect(sections.get("Patches that do not apply")).toEqual(ids().map((id) => [id, "grade", "patch_apply_failed"]));
    expect([...sections.keys()].filter((title) => /error|crash|Image/i.test(title))).toEqual([]);
  });

  it("gives one clear error per image that cannot be pulled, and grades the others", async () => {
    // A dataset whose rows name their image (the v5 `image` column): half of them on a
    // registry that refuses connections on loopback, so nothing leaves the machine.
    const unreachable = new Set(ids().filter((_, i) => i % 2 === 0));
    const dir = datasetWithImages("unpullable-dataset", (row) =>
      unreachable.has(row.instance_id)
        ? `127.0.0.1:9/bottega/missing-${row.instance_id.toLowerCase()}:latest`
        : applyImageTemplate(FIXTURE_IMAGE_TEMPLATE, row),
    );
    const result = await runCli([
      "eval",
      "--predictions",
      "gold",
      "--dataset",
      dir,
      "--run-id",
      "unpullable",
      "--results",
      results,
      "--network",
      "none",
    ]);
    expect(result.code, result.stderr).toBe(1);
    const report = JSON.parse(readFileSync(join(results, "unpullable", "report.json"), "utf8"));
    expect(report.error_ids).toEqual([...unreachable].sort());
    expect(report.resolved_ids).toEqual(ids().filter((id) => !unreachable.has(id)));
    for (const id of unreachable) {
      const final = result.stdout.split("\n").filter((line) => line.includes(id) && line.includes("ERROR") && !line.includes("will retry"));
      expect(final).toHaveLength(1);
      expect(final[0]).toContain(`127.0.0.1:9/bottega/missing-${id.toLowerCase()}:latest is not available locally and could not be pulled`);
    }
    const sections = summarySections("unpullable");
    expect(sections.get("Images not available")).toEqual([...unreachable].sort().map((id) => [id, "pull", "image_unavailable"]));
    expect(sections.has("Infrastructure errors")).toBe(false);
    expect(sections.has("Evaluation errors")).toBe(false);
  });

  it("records an agent that crashes as an agent crash, in the agent phase, not as an evaluation error", async () => {
    // The base image has no repository in /testbed: the episode fails before its first model
    // call (so no model server is needed, and --model-name spares the discovery request).
    const [first] = ids();
    const dir = datasetWithImages(
      "crash-dataset",
      () => BASE_IMAGE,
      (row) => row.instance_id === first,
    );
    const result = await runCli([
      "eval",
      "--model-url",
      "http://127.0.0.1:9/v1",
      "--model-name",
      "crash-test",
      "--dataset",
      dir,
      "--run-id",
      "crash",
      "--results",
      results,
      "--network",
      "none",
      "--agent-network",
      "none",
    ]);
    expect(result.stdout + result.stderr).toMatch(new RegExp(`agent +${first} ERROR agent/crash: .*is not a git repository`));
    const sections = summarySections("crash");
    expect(sections.get("Agent crashes")).toEqual([[first, "agent", "crash"]]);
    expect([...sections.keys()].filter((title) => /error|apply|Image/i.test(title))).toEqual([]);
    const report = JSON.parse(readFileSync(join(results, "crash", "report.json"), "utf8"));
    expect(report.incomplete_ids).toEqual([first]);
  });
});
