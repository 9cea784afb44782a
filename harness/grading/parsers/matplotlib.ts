import type { Semantics, StatusMap } from "../test-status.ts";
import { pytestSummaryLine } from "./pytest.ts";

/**
 * `parse_log_matplotlib`: the pytest parser after rewriting `MouseButton.LEFT`/`RIGHT` to `1`/`3`,
 * so parameter ids read the same across matplotlib versions that repr the enum differently.
 */
export function parseLogMatplotlib(log: string, semantics: Semantics): StatusMap {
  const map: StatusMap = new Map();
  for (let line of log.split("\n")) {
    line = line.replaceAll("MouseButton.LEFT", "1").replaceAll("MouseButton.RIGHT", "3");
    const entry = pytestSummaryLine(line, semantics);
    if (entry) map.set(entry.name, entry.status);
  }
  return map;
}
