import { z } from "zod";
import { evalTypeFor, getEvalTestsReport, getResolutionStatus, TestsStatus } from "./grade.ts";
import { triageFailureLogs } from "./failure-triage.ts";
import { getLogsEval } from "./log-status.ts";
import { selectLogParser } from "./parsers/index.ts";
import { pythonJsonDumps } from "./python-json.ts";
import type { RepoSpec } from "../dataset/repo-spec.ts";
import type { TaskRow } from "../dataset/task-row.ts";
import type { Semantics } from "./test-status.ts";

/** A prediction as the grader sees it. `model_patch: null` is the official "patch is None". */
export const PredictionToGrade = z.object({
  instance_id: z.string(),
  model_name_or_path: z.string(),
  model_patch: z.string().nullable(),
});
export type PredictionToGrade = z.infer<typeof PredictionToGrade>;

/**
 * The value under the instance id in report.json, keys in the official order. `infra_failure`
 * (and, when a signature matched, `infra_failure_reason`) exist only in v5 reports.
 */
export const InstanceResult = z.object({
  patch_is_None: z.boolean(),
  patch_exists: z.boolean(),
  patch_successfully_applied: z.boolean(),
  resolved: z.boolean(),
  infra_failure: z.boolean().optional(),
  infra_failure_reason: z.string().optional(),
  tests_status: TestsStatus.optional(),
});
export type InstanceResult = z.infer<typeof InstanceResult>;

/** report.json: `{ "<instance_id>": InstanceResult }`. */
export type InstanceReport = Readonly<Record<string, InstanceResult>>;

export interface GradeInstanceInput {
  row: Pick<TaskRow, "instance_id" | "repo" | "FAIL_TO_PASS" | "PASS_TO_PASS" | "log_parser" | "eval_type">;
  prediction: PredictionToGrade;
  /**
   * test_output.txt decoded as UTF-8, or null when there is none. The official harness never
   * grades a missing file (reading it raises, so the instance is an error); here null yields the
   * "logs not gradeable" report, and callers wanting v4 fidelity should not grade at all.
   */
  log: string | null;
  semantics?: Semantics;
  /** The repo spec, consulted for `log_parser` when neither the official map nor the row names one. */
  spec?: Pick<RepoSpec, "log_parser">;
}

/**
 * `get_eval_report(..., include_tests_status=True)`: the per-instance report.json object.
 * Throws `LogParserCrash` where the official parser raised (the instance is then an error with
 * no report), `NoLogParserError`/`UnknownLogParserError` when no parser fits the repo.
 */
export function gradeInstance(input: GradeInstanceInput): InstanceReport {
  const { row, prediction, log } = input;
  const semantics = input.semantics ?? "v4";
  // Built key by key: insertion order is the serialized order.
  const result: InstanceResult = {
    patch_is_None: false,
    patch_exists: false,
    patch_successfully_applied: false,
    resolved: false,
  };
  if (semantics === "v5") result.infra_failure = false;
  const report = { [prediction.instance_id]: result };

  if (prediction.model_patch === null) {
    result.patch_is_None = true;
    return report;
  }
  result.patch_exists = true;

  const parser = selectLogParser({
    repo: row.repo,
    rowLogParser: row.log_parser,
    specLogParser: input.spec?.log_parser,
  });
  const logs = log === null ? undefined : getLogsEval(log, parser.parse, semantics);
  if (!logs?.found) {
    if (semantics === "v5") {
      const infra = triageFailureLogs(log);
      if (infra) {
        result.infra_failure = infra.tier === "environment";
        result.infra_failure_reason = infra.reason;
      }
    }
    return report;
  }
  result.patch_successfully_applied = true;

  const testsStatus = getEvalTestsReport(logs.statusMap, row, {
    semantics,
    evalType: evalTypeFor(row, semantics),
  });
  result.resolved = getResolutionStatus(testsStatus) === "RESOLVED_FULL";
  result.tests_status = testsStatus;
  return report;
}

/** The exact report.json text: Python's `json.dumps(report, indent=4)`, no trailing newline. */
export function serializeInstanceReport(report: InstanceReport): string {
  return pythonJsonDumps(report, { indent: 4 });
}
