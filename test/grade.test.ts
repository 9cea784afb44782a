import { describe, expect, it } from "vitest";
import { getEvalTestsReport, getResolutionStatus } from "../harness/grading/grade.ts";
import type { EvalType, TestsStatus } from "../harness/grading/grade.ts";
import { gradeInstance, serializeInstanceReport } from "../harness/grading/instance-report.ts";
import type { GradeInstanceInput } from "../harness/grading/instance-report.ts";
import { getLogsEval } from "../harness/grading/log-status.ts";
import { NoLogParserError, UnknownLogParserError, selectLogParser } from "../harness/grading/parsers/index.ts";
import { LogParserCrash } from "../harness/grading/parsers/parser-crash.ts";
import { parseLogPytest } from "../harness/grading/parsers/pytest.ts";
import type { Semantics, StatusMap } from "../harness/grading/test-status.ts";

const START = ">>>>> Start Test Output";
const END = ">>>>> End Test Output";
const lines = (...xs: string[]) => xs.join("\n");
const sm = (record: Record<string, string>): StatusMap => new Map(Object.entries(record));

function report(map: StatusMap, f2p: string[], p2p: string[], semantics: Semantics, evalType: EvalType = "pass_and_fail") {
  return getEvalTestsReport(map, { FAIL_TO_PASS: f2p, PASS_TO_PASS: p2p }, { semantics, evalType });
}
const lists = (r: TestsStatus) => ({
  f2p: [r.FAIL_TO_PASS.success, r.FAIL_TO_PASS.failure],
  p2p: [r.PASS_TO_PASS.success, r.PASS_TO_PASS.failure],
});

describe("get_logs_eval", () => {
  const found = (log: string, semantics: Semantics = "v4") => {
    const result = getLogsEval(log, parseLogPytest, semantics);
    return result.found ? [...result.statusMap.entries()] : result.reason;
  };

  it("is not gradeable when a bad marker occurs anywhere, or a marker is missing", () => {
    for (const bad of [">>>>> Patch Apply Failed", ">>>>> Reset Failed", ">>>>> Tests Errored", ">>>>> Tests Timed Out"]) {
      expect(found(lines(START, "PASSED a", END, bad))).toBe("bad_marker");
    }
    expect(found(lines(START, "PASSED a"))).toBe("missing_markers");
    expect(found(lines("PASSED a", END))).toBe("missing_markers");
  });

  it("parses only the text between the first start marker and the next end marker", () => {
    const log = lines("PASSED outside_before", START, "PASSED inside", END, "PASSED outside_after", START, "PASSED again", END);
    expect(found(log)).toEqual([["inside", "PASSED"]]);
  });

  it("stops at a second start marker before the end marker (Python's split(START)[1])", () => {
    expect(found(lines(START, "PASSED a", START, "PASSED b", END))).toEqual([["a", "PASSED"]]);
  });

  it("falls back to the whole log when the slice parses to nothing", () => {
    const log = lines("FAILED early", START, "no results here", END, "PASSED late");
    expect(found(log)).toEqual([
      ["early", "FAILED"],
      ["late", "PASSED"],
    ]);
    // Found, with an empty map, when nothing parses anywhere (v4).
    expect(found(lines(START, "nothing", END))).toEqual([]);
  });

  it("reads \\r\\n and lone \\r as newlines, like Python's text-mode open()", () => {
    expect(found(`${START}\rPASSED a\r\nPASSED b\r${END}`)).toEqual([
      ["a", "PASSED"],
      ["b", "PASSED"],
    ]);
  });

  it("v5: an empty map needs evidence that a suite ran", () => {
    const empty = lines(START, "nothing", END);
    expect(found(empty, "v5")).toBe("suite_did_not_run");
    expect(found(lines(START, "5 passing", END), "v5")).toEqual([]);
  });

  it("v5: a non-zero exit code with no failure in the map is not gradeable (spoof check)", () => {
    const spoofed = lines(START, "PASSED t.py::a", END, ">>>>> Test Exit Code: 1");
    expect(found(spoofed, "v4")).toEqual([["t.py::a", "PASSED"]]);
    expect(found(spoofed, "v5")).toBe("exit_code_contradicts_results");
    const honest = lines(START, "PASSED t.py::a", "FAILED t.py::b", END, ">>>>> Test Exit Code: 1");
    expect(found(honest, "v5")).toEqual([
      ["t.py::a", "PASSED"],
      ["t.py::b", "FAILED"],
    ]);
    expect(found(lines(START, "PASSED t.py::a", END, ">>>>> Test Exit Code: 0"), "v5")).toEqual([["t.py::a", "PASSED"]]);
    // Python's \d and int() accept any script's digits: Arabic-Indic zero is 0, one is 1.
    expect(found(lines(START, "PASSED t.py::a", END, ">>>>> Test Exit Code: -\u0660"), "v5")).toEqual([["t.py::a", "PASSED"]]);
    expect(found(lines(START, "PASSED t.py::a", END, ">>>>> Test Exit Code: \u0661"), "v5")).toBe("exit_code_contradicts_results");
  });
});

describe("per-test checks and resolution", () => {
  it("counts missing tests as failures and XFAIL as a pass, in both versions", () => {
    for (const semantics of ["v4", "v5"] as const) {
      const r = report(sm({ a: "XFAIL", b: "FAILED", c: "ERROR" }), ["a", "b", "c", "missing"], [], semantics);
      expect(lists(r).f2p).toEqual([["a"], ["b", "c", "missing"]]);
    }
  });

  it("v4 puts SKIPPED tests in neither list, so an all-skipped F2P resolves", () => {
    const map = sm({ f: "SKIPPED", p: "SKIPPED", q: "PASSED" });
    const r = report(map, ["f"], ["p", "q"], "v4");
    expect(lists(r)).toEqual({ f2p: [[], []], p2p: [["q"], []] });
    expect(getResolutionStatus(r)).toBe("RESOLVED_FULL");
  });

  it("v5 makes a SKIPPED F2P a failure and a SKIPPED P2P a success", () => {
    const map = sm({ f: "SKIPPED", p: "SKIPPED", q: "PASSED" });
    const r = report(map, ["f"], ["p", "q"], "v5");
    expect(lists(r)).toEqual({ f2p: [[], ["f"]], p2p: [["p", "q"], []] });
    expect(getResolutionStatus(r)).toBe("RESOLVED_NO");
  });

  it("treats a verbatim non-status token (e.g. 'ERROR:') as neither pass nor fail", () => {
    for (const semantics of ["v4", "v5"] as const) {
      expect(lists(report(sm({ x: "ERROR:" }), ["x"], ["x"], semantics))).toEqual({ f2p: [[], []], p2p: [[], []] });
    }
  });

  it("v5 prefix-matches truncated ids (more [ than ]) when the matches agree; v4 never does", () => {
    const map = sm({ "t.py::test_x[a b]": "PASSED", "t.py::test_x[a c]": "XFAIL", "t.py::test_y[1]": "PASSED" });
    const f2p = ["t.py::test_x[a", "t.py::test_y"];
    expect(lists(report(map, f2p, [], "v4")).f2p).toEqual([[], f2p]);
    // test_y has balanced brackets, so it gets no prefix match.
    expect(lists(report(map, f2p, [], "v5")).f2p).toEqual([["t.py::test_x[a"], ["t.py::test_y"]]);
  });

  it("v5 finds no match when the prefix matches disagree on pass vs not-pass", () => {
    const map = sm({ "t.py::z[a b]": "PASSED", "t.py::z[a c]": "FAILED" });
    expect(lists(report(map, ["t.py::z[a"], ["t.py::z[a"], "v5"))).toEqual({
      f2p: [[], ["t.py::z[a"]],
      p2p: [[], ["t.py::z[a"]],
    });
  });

  it("v5 takes the first key when non-passing prefix matches mix SKIPPED and FAILED (upstream PR #664)", () => {
    const skippedFirst = sm({ "t.py::w[a b]": "SKIPPED", "t.py::w[a c]": "FAILED" });
    expect(lists(report(skippedFirst, [], ["t.py::w[a"], "v5")).p2p).toEqual([["t.py::w[a"], []]);
    const failedFirst = sm({ "t.py::w[a c]": "FAILED", "t.py::w[a b]": "SKIPPED" });
    expect(lists(report(failedFirst, [], ["t.py::w[a"], "v5")).p2p).toEqual([[], ["t.py::w[a"]]);
  });

  it("fail_only fails a test only when it is recorded as FAILED", () => {
    const r = report(sm({ a: "FAILED", b: "ERROR" }), ["a", "b", "missing"], ["missing"], "v4", "fail_only");
    expect(lists(r)).toEqual({ f2p: [["b", "missing"], ["a"]], p2p: [["missing"], []] });
  });

  it("resolves FULL only with every list clean, PARTIAL with some F2P passing and P2P clean", () => {
    const map = sm({ a: "PASSED", b: "FAILED", p: "PASSED", q: "FAILED" });
    expect(getResolutionStatus(report(map, ["a"], ["p"], "v4"))).toBe("RESOLVED_FULL");
    expect(getResolutionStatus(report(map, ["a", "b"], ["p"], "v4"))).toBe("RESOLVED_PARTIAL");
    expect(getResolutionStatus(report(map, ["a", "b"], ["p", "q"], "v4"))).toBe("RESOLVED_NO");
    expect(getResolutionStatus(report(map, ["b"], ["p"], "v4"))).toBe("RESOLVED_NO");
    expect(getResolutionStatus(report(map, [], [], "v4"))).toBe("RESOLVED_FULL");
  });
});

describe("gradeInstance", () => {
  const row = {
    instance_id: "owner__repo-1",
    repo: "pallets/flask",
    FAIL_TO_PASS: ["t.py::test_f"],
    PASS_TO_PASS: ["t.py::test_p"],
  };
  const input = (over: Partial<GradeInstanceInput>): GradeInstanceInput => ({
    row,
    prediction: { instance_id: "owner__repo-1", model_name_or_path: "m", model_patch: "diff --git a/x b/x\n" },
    log: lines(START, "PASSED t.py::test_f", "PASSED t.py::test_p", END),
    ...over,
  });

  it("writes a resolved report with the official key order and lists", () => {
    const result = gradeInstance(input({}));
    expect(Object.keys(result)).toEqual(["owner__repo-1"]);
    expect(Object.keys(result["owner__repo-1"]!)).toEqual([
      "patch_is_None",
      "patch_exists",
      "patch_successfully_applied",
      "resolved",
      "tests_status",
    ]);
    expect(result["owner__repo-1"]).toMatchObject({ patch_exists: true, patch_successfully_applied: true, resolved: true });
    expect(result["owner__repo-1"]!.tests_status!.FAIL_TO_PASS).toEqual({ success: ["t.py::test_f"], failure: [] });
  });

  it("stops early for a None patch (an empty string still counts as a patch)", () => {
    const none = gradeInstance(input({ prediction: { instance_id: "owner__repo-1", model_name_or_path: "m", model_patch: null } }));
    expect(serializeInstanceReport(none)).toBe(
      lines(
        "{",
        '    "owner__repo-1": {',
        '        "patch_is_None": true,',
        '        "patch_exists": false,',
        '        "patch_successfully_applied": false,',
        '        "resolved": false',
        "    }",
        "}",
      ),
    );
    const empty = gradeInstance(input({ prediction: { instance_id: "owner__repo-1", model_name_or_path: "m", model_patch: "" } }));
    expect(empty["owner__repo-1"]!.patch_exists).toBe(true);
  });

  it("stops early when the logs are not gradeable or absent", () => {
    for (const log of [lines(START, "PASSED t.py::test_f", END, ">>>>> Patch Apply Failed"), null]) {
      expect(gradeInstance(input({ log }))).toEqual({
        "owner__repo-1": { patch_is_None: false, patch_exists: true, patch_successfully_applied: false, resolved: false },
      });
    }
  });

  it("v5 adds infra_failure after resolved, with a reason when a signature matches", () => {
    const v5 = gradeInstance(input({ semantics: "v5" }));
    expect(Object.keys(v5["owner__repo-1"]!)).toEqual([
      "patch_is_None",
      "patch_exists",
      "patch_successfully_applied",
      "resolved",
      "infra_failure",
      "tests_status",
    ]);
    const timedOut = gradeInstance(input({ semantics: "v5", log: lines(START, "running", "", "Timeout error: 1800 seconds exceeded.") }));
    expect(timedOut["owner__repo-1"]).toEqual({
      patch_is_None: false,
      patch_exists: true,
      patch_successfully_applied: false,
      resolved: false,
      infra_failure: false,
      infra_failure_reason: "tests_timed_out",
    });
    const offline = gradeInstance(input({ semantics: "v5", log: "pip: Could not resolve host: pypi.org" }));
    expect(offline["owner__repo-1"]).toMatchObject({ infra_failure: true, infra_failure_reason: "network_unreachable" });
    // v4 never writes the key.
    expect(Object.keys(gradeInstance(input({ log: null }))["owner__repo-1"]!)).not.toContain("infra_failure");
  });

  it("surfaces seaborn's v4 IndexError as LogParserCrash (an error, no report); v5 grades", () => {
    const seabornRow = { ...row, repo: "mwaskom/seaborn" };
    const log = lines(START, "PASSED t.py::test_f", "FAILED", END);
    expect(() => gradeInstance(input({ row: seabornRow, log }))).toThrow(LogParserCrash);
    expect(gradeInstance(input({ row: seabornRow, log, semantics: "v5" }))["owner__repo-1"]!.patch_successfully_applied).toBe(true);
  });
});

describe("parser selection", () => {
  it("uses the official repo map before the row's and the spec's log_parser", () => {
    expect(selectLogParser({ repo: "django/django", rowLogParser: "parse_log_pytest" })).toMatchObject({
      name: "parse_log_django",
      source: "official-map",
    });
    expect(selectLogParser({ repo: "acme/widgets", rowLogParser: "parse_log_sympy", specLogParser: "parse_log_pytest" })).toMatchObject({
      name: "parse_log_sympy",
      source: "row",
    });
    expect(selectLogParser({ repo: "acme/widgets", specLogParser: "parse_log_pytest_v2" })).toMatchObject({
      name: "parse_log_pytest_v2",
      source: "spec",
    });
  });

  it("fails with typed errors naming the repo or the unknown parser", () => {
    expect(() => selectLogParser({ repo: "acme/widgets" })).toThrow(NoLogParserError);
    expect(() => selectLogParser({ repo: "acme/widgets" })).toThrow(/acme\/widgets/);
    expect(() => selectLogParser({ repo: "acme/widgets", rowLogParser: "parse_log_jest" })).toThrow(UnknownLogParserError);
    expect(() => selectLogParser({ repo: "acme/widgets", rowLogParser: "toString" })).toThrow(UnknownLogParserError);
  });
});
