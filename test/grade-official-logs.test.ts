import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parquetReadObjects } from "hyparquet";
import { describe, expect, it } from "vitest";
import { gradeInstance, serializeInstanceReport } from "../harness/grading/instance-report.ts";
import { makeRunReport, serializeRunReport } from "../harness/grading/run-report.ts";
import type { InstanceFile, RunReportPrediction } from "../harness/grading/run-report.ts";
import { TaskRow } from "../harness/dataset/task-row.ts";

/**
 * Real outputs of one official SWE-bench v4.1.0 run (see the folder's README.md): every
 * report.json there must come out of our grader byte for byte, and the run report must agree
 * wherever the spec and the published files allow.
 */
const SHARED = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../shared");
const LOGS = path.join(SHARED, "data/official-logs");
const PARQUET = path.join(SHARED, "data/swe-bench-verified.parquet");
const hasLogs = existsSync(path.join(LOGS, "run-report.json"));
const hasParquet = existsSync(PARQUET);
if (!hasLogs) console.warn(`grade-official-logs.test.ts: ${LOGS} is absent; skipping the official-log grading tests`);
if (hasLogs && !hasParquet) console.warn(`grade-official-logs.test.ts: ${PARQUET} is absent; skipping the run-report reconstruction`);

// Named by the README: the one prediction with an empty patch (it has no folder).
const EMPTY_PATCH_ID = "django__django-13513";
// The README: no report.json and no test_output.txt, yet the run report counts it unresolved.
const NO_LOGS_ID = "pydata__xarray-6992";
const MODEL = "vexp-swebench-1774184993333";

const folders = hasLogs
  ? readdirSync(LOGS)
      .filter((name) => statSync(path.join(LOGS, name)).isDirectory())
      .sort()
  : [];
const readIfExists = (file: string) => (existsSync(file) ? readFileSync(file, "utf8") : null);

function readFileAsArrayBuffer(file: string): ArrayBuffer {
  const buffer = readFileSync(file);
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
}

// The run's full_dataset: all 500 Verified rows (total_instances is 500, so no --instance_ids filter).
const dataset = hasParquet
  ? ((await parquetReadObjects({ file: readFileAsArrayBuffer(PARQUET), columns: ["instance_id"] })) as Array<{
      instance_id: string;
    }>)
  : [];

describe.skipIf(!hasLogs)("official v4.1.0 report.json files", () => {
  const graded = folders.filter((name) => existsSync(path.join(LOGS, name, "report.json")));

  it("has the folders the README describes", () => {
    expect(folders).toHaveLength(99);
    expect(graded).toHaveLength(98);
    expect(folders.filter((name) => !graded.includes(name))).toEqual([NO_LOGS_ID]);
  });

  it.each(graded)("%s: our report.json equals the official one byte for byte", (name) => {
    const dir = path.join(LOGS, name);
    const row = TaskRow.parse(JSON.parse(readFileSync(path.join(dir, "row.json"), "utf8")));
    const log = readFileSync(path.join(dir, "test_output.txt"), "utf8");
    // Grading needs only whether the patch is None, not its text.
    const prediction = { instance_id: row.instance_id, model_name_or_path: MODEL, model_patch: "(patch)" };
    const ours = serializeInstanceReport(gradeInstance({ row, prediction, log, semantics: "v4" }));
    expect(ours).toBe(readFileSync(path.join(dir, "report.json"), "utf8"));
  });
});

describe.skipIf(!hasLogs || !hasParquet)("the official run report", () => {
  const officialText = hasLogs ? readFileSync(path.join(LOGS, "run-report.json"), "utf8") : "{}";
  const official = JSON.parse(officialText) as Record<string, unknown>;

  // What the folders tell us about the predictions: every folder had a non-empty patch (98 have a
  // report with patch_exists; the run report counts the 99th as completed), plus the empty one.
  const predictions = new Map<string, RunReportPrediction>(
    [...folders.map((id) => [id, "(patch)"] as const), [EMPTY_PATCH_ID, ""] as const].map(([id, patch]) => [
      id,
      { instance_id: id, model_name_or_path: MODEL, model_patch: patch },
    ]),
  );
  const fromFolders = (prediction: RunReportPrediction, file: InstanceFile) => readIfExists(path.join(LOGS, prediction.instance_id, file));

  // Departure 1: the three Docker-inventory keys sit between error_ids and schema_version.
  // v4.1.0 writes them only without a Docker client (an inverted condition), and then after
  // schema_version; no tagged release puts them where this file has them.
  const INVENTORY_KEYS = ["unstopped_instances", "unstopped_containers", "unremoved_images"];
  const INVENTORY_LINES = '    "unstopped_instances": 0,\n    "unstopped_containers": [],\n    "unremoved_images": [],\n';
  const officialCore = Object.fromEntries(Object.entries(official).filter(([key]) => !INVENTORY_KEYS.includes(key)));
  // Departure 2: by the spec every dataset row without a prediction is incomplete. The file says
  // total_instances 500 and submitted_instances 100 yet lists no incomplete ids, a combination
  // no tagged make_run_report can produce.
  const notSubmitted = dataset
    .map(({ instance_id }) => instance_id)
    .filter((id) => !predictions.has(id))
    .sort();

  it("departs from v4.1.0's make_run_report in two ways we do not reproduce", () => {
    expect(official).toMatchObject({ total_instances: 500, submitted_instances: 100, incomplete_ids: [] });
    expect(dataset).toHaveLength(500);
    expect(notSubmitted).toHaveLength(400);
    expect(official).toMatchObject({ unstopped_instances: 0, unstopped_containers: [], unremoved_images: [] });
    const keys = Object.keys(official);
    expect(keys.indexOf("unstopped_instances")).toBe(keys.indexOf("error_ids") + 1);
    expect(keys.at(-1)).toBe("schema_version");
  });

  it(`from the folders as published, differs in ${NO_LOGS_ID} only (error here, unresolved there), besides the departures`, () => {
    const ours = makeRunReport({ dataset, predictions, readInstanceFile: fromFolders });
    // The spec: no report.json means an error. The official report saw it completed and not
    // resolved, so a report.json with a falsy "resolved" existed when it was written and is
    // missing from the published folder.
    const without = (ids: unknown) => (ids as string[]).filter((id) => id !== NO_LOGS_ID);
    expect(ours).toEqual({
      ...officialCore,
      completed_instances: (officialCore.completed_instances as number) - 1,
      unresolved_instances: (officialCore.unresolved_instances as number) - 1,
      error_instances: 1,
      completed_ids: without(officialCore.completed_ids),
      incomplete_ids: notSubmitted,
      unresolved_ids: without(officialCore.unresolved_ids),
      error_ids: [NO_LOGS_ID],
    });
  });

  it(`with any unresolved report.json for ${NO_LOGS_ID}, equals the file byte for byte, departures aside`, () => {
    // Our own "no gradeable test output" report stands in for the lost file; any report with a
    // falsy "resolved" gives the same tally.
    const standIn = serializeInstanceReport(
      gradeInstance({
        row: { instance_id: NO_LOGS_ID, repo: "pydata/xarray", FAIL_TO_PASS: [], PASS_TO_PASS: [] },
        prediction: { instance_id: NO_LOGS_ID, model_name_or_path: MODEL, model_patch: "(patch)" },
        log: null,
      }),
    );
    const readInstanceFile = (prediction: RunReportPrediction, file: InstanceFile) =>
      prediction.instance_id === NO_LOGS_ID && file === "report.json" ? standIn : fromFolders(prediction, file);
    const ours = makeRunReport({ dataset, predictions, readInstanceFile });
    expect(ours.incomplete_ids).toEqual(notSubmitted);

    const officialWithoutInventory = officialText.replace(INVENTORY_LINES, "");
    expect(officialWithoutInventory).not.toBe(officialText);
    expect(serializeRunReport({ ...ours, incomplete_ids: [] })).toBe(officialWithoutInventory);
  });
});
