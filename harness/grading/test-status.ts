import { z } from "zod";

/**
 * A test outcome as the official log parsers record it (`TestStatus` in the SWE-bench harness).
 * The order is the enum's; `XPASS` is deliberately absent, so XPASS lines are never recorded.
 */
export const TestStatus = z.enum(["FAILED", "PASSED", "SKIPPED", "ERROR", "XFAIL"]);
export type TestStatus = z.infer<typeof TestStatus>;
export const TEST_STATUSES: readonly TestStatus[] = TestStatus.options;

/**
 * Test name → recorded status, in first-insertion order with later lines overwriting earlier
 * ones (a Python dict). The order matters: v5's prefix match picks the first matching key.
 *
 * Values are strings, not `TestStatus`: the parsers store a line's first token verbatim once the
 * line merely *starts with* a status word, so `ERROR: not found` records `"ERROR:"` and
 * `PASSEDx y` records `"PASSEDx"`. The grader treats such values as neither pass nor fail.
 */
export type StatusMap = Map<string, string>;

/**
 * Which official release's semantics to reproduce. "v4" is SWE-bench v4.1.0, the behaviour
 * behind most published results; "v5" adds the 5.0.x parser and grading fixes.
 */
export const Semantics = z.enum(["v4", "v5"]);
export type Semantics = z.infer<typeof Semantics>;

export function startsWithStatus(line: string): boolean {
  return TEST_STATUSES.some((status) => line.startsWith(status));
}

export function endsWithStatus(line: string): boolean {
  return TEST_STATUSES.some((status) => line.endsWith(status));
}
