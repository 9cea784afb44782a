import type { Semantics, StatusMap } from "../test-status.ts";
import { LogParserCrash } from "./parser-crash.ts";
import { pySplit } from "./python-text.ts";

const PARSER = "parse_log_seaborn";

/**
 * `parse_log_seaborn`: FAILED summary lines, verbose `name PASSED …` lines and PASSED summary
 * lines only; no SKIPPED/ERROR/XFAIL. In v4 a line with a status word but no second token (a
 * bare `FAILED`, ` PASSED `) makes the official parser raise IndexError, which we surface as
 * `LogParserCrash`. v5 skips lines with fewer than two tokens.
 */
export function parseLogSeaborn(log: string, semantics: Semantics): StatusMap {
  const map: StatusMap = new Map();
  const lines = log.split("\n");
  lines.forEach((line, index) => {
    const parts = pySplit(line);
    if (semantics === "v5" && parts.length < 2) return;
    const second = (): string => {
      if (parts.length < 2) throw new LogParserCrash(PARSER, "IndexError", index + 1, line);
      return parts[1]!;
    };
    if (line.startsWith("FAILED")) {
      map.set(second(), "FAILED");
    } else if (line.includes(" PASSED ")) {
      if (second() === "PASSED") map.set(parts[0]!, "PASSED");
    } else if (line.startsWith("PASSED")) {
      map.set(second(), "PASSED");
    }
  });
  return map;
}
