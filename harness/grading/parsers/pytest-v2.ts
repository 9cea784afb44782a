import type { Semantics, StatusMap } from "../test-status.ts";
import { endsWithStatus, startsWithStatus } from "../test-status.ts";
import { isSkipSummary } from "./pytest.ts";
import { PY_DIGIT, beforeFirst, pySplit } from "./python-text.ts";

// A crude colour-code removal: "[<digits>m" with or without the ESC byte, single codes only
// (`[1;31m` survives, minus its ESC).
const COLOUR_CODE = new RegExp(`\\[${PY_DIGIT}+m`, "gu");
// Code points 1–31 are deleted outright (ESC, TAB and CR included), which can glue tokens.
const CONTROL_CHARS = /[\x01-\x1f]/g;

/**
 * `parse_log_pytest_v2` (astropy, scikit-learn, sphinx). Reads `-rA` summary lines like the
 * pytest parser, and also old verbose lines that *end* with a status (`path::test PASSED`).
 * v4 keys by a single token; v5 keeps every token (joined by one space), drops the failure
 * message after the first " - " and ignores `SKIPPED [N]` summaries.
 */
export function parseLogPytestV2(log: string, semantics: Semantics): StatusMap {
  const map: StatusMap = new Map();
  for (let line of log.split("\n")) {
    line = line.replace(COLOUR_CODE, "").replace(CONTROL_CHARS, "");
    if (startsWithStatus(line)) {
      if (line.startsWith("FAILED")) {
        line = semantics === "v5" ? beforeFirst(line, " - ") : line.replaceAll(" - ", " ");
      }
      const tokens = pySplit(line);
      if (tokens.length < 2) continue;
      if (semantics === "v5") {
        if (!isSkipSummary(tokens[0]!, tokens[1]!)) map.set(tokens.slice(1).join(" "), tokens[0]!);
      } else {
        map.set(tokens[1]!, tokens[0]!);
      }
    } else if (endsWithStatus(line)) {
      const tokens = pySplit(line);
      if (tokens.length < 2) continue;
      if (semantics === "v5") map.set(tokens.slice(0, -1).join(" "), tokens.at(-1)!);
      else map.set(tokens[0]!, tokens[1]!);
    }
  }
  return map;
}
