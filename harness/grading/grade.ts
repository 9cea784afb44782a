import { z } from "zod";
import type { Semantics, StatusMap } from "./test-status.ts";

/**
 * How a test list is scored. `pass_and_fail` is every Python repo (all of Verified);
 * `fail_only` (a test fails only when recorded as FAILED) is for a few JS repos.
 */
export const EvalType = z.enum(["pass_and_fail", "fail_only"]);
export type EvalType = z.infer<typeof EvalType>;

/** v4.1.0 picks `fail_only` by repo (`FAIL_ONLY_REPOS`); v5 reads the dataset's `eval_type`. */
export const FAIL_ONLY_REPOS: ReadonlySet<string> = new Set(["chartjs/Chart.js", "processing/p5.js", "markedjs/marked"]);

const TestListOutcome = z.object({ success: z.array(z.string()), failure: z.array(z.string()) });

/** `tests_status` of report.json, keys in the official order. F2F/P2F are always empty. */
export const TestsStatus = z.object({
  FAIL_TO_PASS: TestListOutcome,
  PASS_TO_PASS: TestListOutcome,
  FAIL_TO_FAIL: TestListOutcome,
  PASS_TO_FAIL: TestListOutcome,
});
export type TestsStatus = z.infer<typeof TestsStatus>;
type TestListOutcome = z.infer<typeof TestListOutcome>;

export type ResolvedStatus = "RESOLVED_FULL" | "RESOLVED_PARTIAL" | "RESOLVED_NO";

/** The dataset row's `eval_type` is not one the grader knows. */
export class UnknownEvalTypeError extends Error {
  constructor(
    readonly instanceId: string,
    readonly evalType: string,
  ) {
    super(`instance ${instanceId}: eval_type "${evalType}" is not one of ${EvalType.options.join(", ")}`);
    this.name = "UnknownEvalTypeError";
  }
}

export function evalTypeFor(row: { instance_id: string; repo: string; eval_type?: string | undefined }, semantics: Semantics): EvalType {
  const byRepo: EvalType = FAIL_ONLY_REPOS.has(row.repo) ? "fail_only" : "pass_and_fail";
  if (semantics === "v4" || row.eval_type === undefined) return byRepo;
  const parsed = EvalType.safeParse(row.eval_type);
  if (!parsed.success) throw new UnknownEvalTypeError(row.instance_id, row.eval_type);
  return parsed.data;
}

const isPass = (status: string) => status === "PASSED" || status === "XFAIL";

/**
 * The status-map key that stands for an expected test id. v4: exact match only. v5 also
 * tolerates the dataset's truncated parametrized ids (more `[` than `]`): every key starting with
 * the id, provided they all agree on pass-vs-not-pass; the first such key wins.
 */
export function resolveCase(testId: string, sm: StatusMap, semantics: Semantics): string | undefined {
  if (sm.has(testId)) return testId;
  if (semantics === "v4") return undefined;
  const count = (ch: string) => testId.split(ch).length - 1;
  if (count("[") <= count("]")) return undefined;
  const matches = [...sm.keys()].filter((key) => key.startsWith(testId));
  if (matches.length === 0) return undefined;
  const outcomes = new Set(matches.map((key) => isPass(sm.get(key)!)));
  return outcomes.size === 1 ? matches[0] : undefined;
}

type Verdict = "success" | "failure" | "neither";

/**
 * One expected test under `pass_and_fail`. Missing tests are failures. In v4 a SKIPPED test (or
 * any status that is not pass/fail, like a verbatim `ERROR:` token) lands in neither list, so an
 * all-skipped F2P counts as resolved; v5 makes a SKIPPED F2P a failure and a SKIPPED P2P a
 * success ("maintained": a skip is not a regression).
 */
function judgePassAndFail(testId: string, sm: StatusMap, list: "FAIL_TO_PASS" | "PASS_TO_PASS", semantics: Semantics): Verdict {
  const key = resolveCase(testId, sm, semantics);
  const status = key === undefined ? undefined : sm.get(key)!;
  if (status !== undefined && isPass(status)) return "success";
  if (semantics === "v5" && list === "PASS_TO_PASS" && status === "SKIPPED") return "success";
  if (status === undefined || status === "FAILED" || status === "ERROR") return "failure";
  if (semantics === "v5" && status === "SKIPPED") return "failure";
  return "neither";
}

/** One expected test under `fail_only`: a failure only when recorded exactly as FAILED. */
function judgeFailOnly(testId: string, sm: StatusMap): Verdict {
  return sm.get(testId) === "FAILED" ? "failure" : "success";
}

/** `get_eval_tests_report`: each expected test sorted into success/failure, in dataset order. */
export function getEvalTestsReport(
  sm: StatusMap,
  gold: { FAIL_TO_PASS: readonly string[]; PASS_TO_PASS: readonly string[] },
  options: { semantics: Semantics; evalType: EvalType },
): TestsStatus {
  const judgeList = (list: "FAIL_TO_PASS" | "PASS_TO_PASS"): TestListOutcome => {
    const outcome: TestListOutcome = { success: [], failure: [] };
    for (const testId of gold[list]) {
      const verdict = options.evalType === "fail_only" ? judgeFailOnly(testId, sm) : judgePassAndFail(testId, sm, list, options.semantics);
      if (verdict !== "neither") outcome[verdict].push(testId);
    }
    return outcome;
  };
  return {
    FAIL_TO_PASS: judgeList("FAIL_TO_PASS"),
    PASS_TO_PASS: judgeList("PASS_TO_PASS"),
    FAIL_TO_FAIL: { success: [], failure: [] },
    PASS_TO_FAIL: { success: [], failure: [] },
  };
}

/**
 * `get_resolution_status`. The official code compares float ratios (an empty list counts as
 * 1.0); with integer counts that is exactly "no failures" for 1 and "some but not all" for
 * partial.
 */
export function getResolutionStatus(report: TestsStatus): ResolvedStatus {
  const ratioIsOne = ({ failure }: TestListOutcome) => failure.length === 0;
  const f2p = report.FAIL_TO_PASS;
  if (ratioIsOne(f2p) && ratioIsOne(report.PASS_TO_PASS)) return "RESOLVED_FULL";
  if (f2p.success.length > 0 && f2p.failure.length > 0 && ratioIsOne(report.PASS_TO_PASS)) {
    return "RESOLVED_PARTIAL";
  }
  return "RESOLVED_NO";
}
