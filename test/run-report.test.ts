import { describe, expect, it } from "vitest";
import { NoPredictionsError, makeRunReport, runReportFileName, serializeRunReport } from "../harness/grading/run-report.ts";
import { OFFICIAL_RUN_REPORT_KEYS } from "./support/official-report.ts";
import type { InstanceFile, RunReportPrediction } from "../harness/grading/run-report.ts";

const MODEL = "org/model-x";
const pred = (instance_id: string, model_patch: string | null | undefined = "diff"): RunReportPrediction => ({
  instance_id,
  model_name_or_path: MODEL,
  model_patch,
});
const reportJson = (id: string, resolved: unknown) => JSON.stringify({ [id]: { resolved } });

/** A fake run directory: instance id → file name → text. */
function reader(files: Record<string, Partial<Record<InstanceFile, string>>>) {
  return (prediction: RunReportPrediction, file: InstanceFile) => files[prediction.instance_id]?.[file] ?? null;
}

describe("makeRunReport (v4.1.0)", () => {
  const dataset = ["r-1", "r-2", "u-3", "u-4", "e-5", "e-6", "e-7", "e-8", "n-9", "n-10", "i-11"].map((instance_id) => ({
    instance_id,
  }));
  const predictions = new Map(
    [
      pred("r-1"),
      pred("r-2"),
      pred("u-3"),
      pred("u-4"),
      pred("e-5"),
      pred("e-6"),
      pred("e-7"),
      pred("e-8"),
      pred("n-9", ""),
      pred("n-10", null),
      pred("outside-dataset"),
    ].map((p) => [p.instance_id, p]),
  );
  const files = reader({
    "r-1": { "report.json": reportJson("r-1", true) },
    "r-2": { "report.json": reportJson("r-2", 1) }, // Python truthiness
    "u-3": { "report.json": reportJson("u-3", false) },
    "u-4": { "report.json": `\n  ${reportJson("u-4", "")}  \n` },
    "e-5": {}, // no report.json: apply failure, timeout, crash
    "e-6": { "report.json": "  \n" }, // empty after strip
    "e-7": { "report.json": "{not json" },
    "e-8": { "report.json": JSON.stringify({ "other-id": { resolved: true } }) },
    "n-9": { "report.json": reportJson("n-9", true) }, // ignored: empty patch
  });
  const report = makeRunReport({ dataset, predictions, readInstanceFile: files });

  it("sorts every dataset row into exactly one outcome", () => {
    expect(report).toEqual({
      total_instances: 11,
      submitted_instances: 11,
      completed_instances: 7,
      resolved_instances: 2,
      unresolved_instances: 2,
      empty_patch_instances: 2,
      error_instances: 4,
      completed_ids: ["e-6", "e-7", "e-8", "r-1", "r-2", "u-3", "u-4"],
      incomplete_ids: ["i-11"],
      empty_patch_ids: ["n-10", "n-9"],
      submitted_ids: ["e-5", "e-6", "e-7", "e-8", "n-10", "n-9", "outside-dataset", "r-1", "r-2", "u-3", "u-4"],
      resolved_ids: ["r-1", "r-2"],
      unresolved_ids: ["u-3", "u-4"],
      error_ids: ["e-5", "e-6", "e-7", "e-8"],
      schema_version: 2,
    });
  });

  it("keeps the official key order and writes indent=4 with a trailing newline", () => {
    expect(Object.keys(report)).toEqual(OFFICIAL_RUN_REPORT_KEYS);
    const text = serializeRunReport(report);
    expect(text.endsWith('    "schema_version": 2\n}\n')).toBe(true);
    expect(text).toContain('    "incomplete_ids": [\n        "i-11"\n    ],\n');
    expect(text).toContain('    "error_instances": 4,\n');
  });

  it("sorts ids by code point like Python, not by UTF-16 unit", () => {
    const ids = ["a\uffff", "a\u{1f600}", "a"];
    const r = makeRunReport({
      dataset: ids.map((instance_id) => ({ instance_id })),
      predictions: new Map(ids.map((id) => [id, pred(id)])),
      readInstanceFile: () => null,
    });
    expect(r.submitted_ids).toEqual(["a", "a\uffff", "a\u{1f600}"]);
  });

  it("is named after the first prediction's model with / replaced", () => {
    expect(runReportFileName(predictions, "run-7")).toBe("org__model-x.run-7.json");
    expect(() => runReportFileName(new Map(), "run-7")).toThrow(NoPredictionsError);
  });
});

describe("makeRunReport (v5)", () => {
  it("adds the infra-failure triage keys and, given Docker leftovers, the unstopped/unremoved keys", () => {
    const dataset = ["a-1", "b-2", "c-3", "d-4"].map((instance_id) => ({ instance_id }));
    const predictions = new Map(["a-1", "b-2", "c-3", "d-4"].map((id) => [id, pred(id)]));
    const files = reader({
      "a-1": { "report.json": reportJson("a-1", true), "test_output.txt": "Could not resolve host" },
      "b-2": { "report.json": reportJson("b-2", false), "test_output.txt": "E   ModuleNotFoundError: x" },
      "c-3": { "run_instance.log": "Error response from daemon: no such image" },
      "d-4": { "report.json": reportJson("d-4", false), "test_output.txt": "1 failed" },
    });
    const report = makeRunReport({
      dataset,
      predictions,
      readInstanceFile: files,
      semantics: "v5",
      dockerLeftovers: { unstoppedContainers: ["sweb.eval.c-3.run", "sweb.eval.c-3.run"], unremovedImages: [] },
    });
    expect(Object.keys(report)).toEqual([
      "total_instances",
      "submitted_instances",
      "completed_instances",
      "resolved_instances",
      "unresolved_instances",
      "infra_failure_instances",
      "ambiguous_failure_instances",
      "empty_patch_instances",
      "error_instances",
      "completed_ids",
      "incomplete_ids",
      "empty_patch_ids",
      "submitted_ids",
      "resolved_ids",
      "unresolved_ids",
      "infra_failure_ids",
      "ambiguous_failure_ids",
      "failure_reasons",
      "error_ids",
      "schema_version",
      "unstopped_instances",
      "unstopped_containers",
      "unremoved_images",
    ]);
    // Resolved instances are never triaged (a-1), and triage never moves an id out of its list.
    expect(report).toMatchObject({
      infra_failure_ids: ["c-3"],
      ambiguous_failure_ids: ["b-2"],
      unresolved_ids: ["b-2", "d-4"],
      error_ids: ["c-3"],
      unstopped_instances: 1,
      unstopped_containers: ["sweb.eval.c-3.run"],
    });
    expect(serializeRunReport(report)).toContain(
      '    "failure_reasons": {\n        "b-2": "missing_module",\n        "c-3": "container_unavailable"\n    },\n',
    );
  });
});
