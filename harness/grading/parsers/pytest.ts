import type { Semantics, StatusMap } from "../test-status.ts";
import { startsWithStatus } from "../test-status.ts";
import { PY_DIGIT, pySplit } from "./python-text.ts";

const SKIP_SUMMARY_NAME = new RegExp(`^\\[${PY_DIGIT}+\\]$`, "u");

/**
 * v5 drops pytest's `SKIPPED [N] path:line: reason` summaries, whose `[N]` is not a test id.
 * Only for SKIPPED: `PASSED [100%]` stays, because two P2P lists expect `[100%]` literally.
 */
export function isSkipSummary(status: string, name: string): boolean {
  return status === "SKIPPED" && SKIP_SUMMARY_NAME.test(name);
}

/**
 * One `-rA` summary line as the official pytest-family parsers read it: if the line starts with
 * a status word, its whitespace tokens give status = token 0 and name = token 1. On FAILED lines
 * every " - " becomes " " first, so the failure message's first word is never the name. The name
 * is only the first token, which is why ids with a space in a parameter are truncated.
 */
export function pytestSummaryLine(line: string, semantics: Semantics): { status: string; name: string } | undefined {
  if (!startsWithStatus(line)) return undefined;
  if (line.startsWith("FAILED")) line = line.replaceAll(" - ", " ");
  const tokens = pySplit(line);
  if (tokens.length <= 1) return undefined;
  const [status, name] = tokens as [string, string];
  if (semantics === "v5" && isSkipSummary(status, name)) return undefined;
  return { status, name };
}

/** `parse_log_pytest` (xarray, flask, pytest-dev/pytest, …). */
export function parseLogPytest(log: string, semantics: Semantics): StatusMap {
  const map: StatusMap = new Map();
  for (const line of log.split("\n")) {
    const entry = pytestSummaryLine(line, semantics);
    if (entry) map.set(entry.name, entry.status);
  }
  return map;
}
