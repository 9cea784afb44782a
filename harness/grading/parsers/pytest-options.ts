import type { Semantics, StatusMap } from "../test-status.ts";
import { PY_DOT } from "./python-text.ts";
import { pytestSummaryLine } from "./pytest.ts";

// Python: re.search(r"(.*?)\[(.*)\]", name). Unanchored at the end, so text after the last "]"
// is dropped from the rebuilt key.
const OPTION = new RegExp(`(${PY_DOT}*?)\\[(${PY_DOT}*)\\]`);

/**
 * `parse_log_pytest_options` (requests, pylint): the pytest parser, with an absolute-path
 * parameter reduced to its last component (`test_x[/tmp/abc/m.py]` → `test_x[/m.py]`) so
 * temp-dir names do not leak into ids.
 */
export function parseLogPytestOptions(log: string, semantics: Semantics): StatusMap {
  const map: StatusMap = new Map();
  for (const line of log.split("\n")) {
    const entry = pytestSummaryLine(line, semantics);
    if (!entry) continue;
    const match = OPTION.exec(entry.name);
    let name = entry.name;
    if (match) {
      const main = match[1]!;
      let option = match[2]!;
      if (option.startsWith("/") && !option.startsWith("//") && !option.includes("*")) {
        option = "/" + option.slice(option.lastIndexOf("/") + 1);
      }
      name = `${main}[${option}]`;
    }
    map.set(name, entry.status);
  }
  return map;
}
