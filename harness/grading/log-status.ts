import type { LogParser } from "./parsers/index.ts";
import { PY_DIGIT, PY_ML_END, PY_ML_START, PY_WORD, PY_WS, pyDigitsAreZero, pyUniversalNewlines } from "./parsers/python-text.ts";
import type { Semantics, StatusMap } from "./test-status.ts";
import { BAD_MARKERS, END_TEST_OUTPUT, START_TEST_OUTPUT } from "../evaluation/markers.ts";

/** v5: evidence that some runner executed a non-zero number of tests (`SUITE_RAN`, mostly JS runners). */
const SUITE_RAN = new RegExp(
  [
    `Executed [1-9]${PY_DIGIT}* of ${PY_DIGIT}+`,
    `TOTAL: [1-9]${PY_DIGIT}* (?:SUCCESS|FAILED)`,
    `[1-9]${PY_DIGIT}* passing`,
    `Tests:${PY_WS}+[1-9]${PY_DIGIT}*`,
    `Test Suites:${PY_WS}+(?:${PY_DIGIT}+ ${PY_WORD}+, )*[1-9]${PY_DIGIT}* total`,
    `${PY_ML_START}# tests [1-9]${PY_DIGIT}*`,
    `[1-9]${PY_DIGIT}* specs?, ${PY_DIGIT}+ failures?`,
    `': ok${PY_ML_END}`,
  ].join("|"),
  "u",
);

const EXIT_CODE = new RegExp(`>>>>> Test Exit Code:${PY_WS}*(-?)(${PY_DIGIT}+)`, "u");

export type NotGradeableReason =
  /** One of `BAD_MARKERS` occurs in the log. */
  | "bad_marker"
  /** The start or the end marker is missing. */
  | "missing_markers"
  /** v5: nothing parsed and no runner summary shows that tests ran. */
  | "suite_did_not_run"
  /** v5: the recorded exit code is non-zero but the parsed results show no failure. */
  | "exit_code_contradicts_results";

/** `get_logs_eval`'s `(status_map, found)`; `found` becomes `patch_successfully_applied`. */
export type LogsEval = { found: true; statusMap: StatusMap } | { found: false; reason: NotGradeableReason };

/**
 * Python's `content.split(START)[1].split(END)[0]`: the text after the first start marker, up
 * to a second start marker if there is one, then cut at the first end marker in that.
 */
function sliceBetweenMarkers(content: string): string {
  const afterStart = content.slice(content.indexOf(START_TEST_OUTPUT) + START_TEST_OUTPUT.length);
  const nextStart = afterStart.indexOf(START_TEST_OUTPUT);
  const segment = nextStart < 0 ? afterStart : afterStart.slice(0, nextStart);
  const end = segment.indexOf(END_TEST_OUTPUT);
  return end < 0 ? segment : segment.slice(0, end);
}

/** The first recorded test exit code: undefined if absent, else whether it is zero. */
function exitCodeIsZero(content: string): boolean | undefined {
  const match = EXIT_CODE.exec(content);
  return match ? pyDigitsAreZero(match[2]!) : undefined;
}

/**
 * `get_logs_eval`: the status map of one test_output.txt. `log` is the file decoded as UTF-8;
 * newlines are translated as Python's text-mode `open()` does before anything is matched.
 * A parser crash (`LogParserCrash`) propagates, as the exception did in the official harness.
 */
export function getLogsEval(log: string, parse: LogParser, semantics: Semantics): LogsEval {
  const content = pyUniversalNewlines(log);
  if (BAD_MARKERS.some((marker) => content.includes(marker))) {
    return { found: false, reason: "bad_marker" };
  }
  if (!content.includes(START_TEST_OUTPUT) || !content.includes(END_TEST_OUTPUT)) {
    return { found: false, reason: "missing_markers" };
  }

  let statusMap = parse(sliceBetweenMarkers(content), semantics);
  // Some runs print results outside the markers (stdout/stderr ordering), so fall back to the
  // whole log rather than report nothing.
  if (statusMap.size === 0) statusMap = parse(content, semantics);

  if (semantics === "v5") {
    if (statusMap.size === 0 && !SUITE_RAN.test(content)) {
      return { found: false, reason: "suite_did_not_run" };
    }
    // A patch can print its own PASSED lines; a failing exit status with no failure in the map
    // means the log does not describe the run that happened.
    const zero = exitCodeIsZero(content);
    if (zero === false && statusMap.size > 0 && ![...statusMap.values()].some((status) => status === "FAILED" || status === "ERROR")) {
      return { found: false, reason: "exit_code_contradicts_results" };
    }
  }
  return { found: true, statusMap };
}
