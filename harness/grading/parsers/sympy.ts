import type { StatusMap } from "../test-status.ts";
import { PY_DOT, pySplit, pyStrip } from "./python-text.ts";

// Failure-block headers like `____ sympy/core/tests/test_basic.py:test_immutable ____`. Their
// `path.py:name` keys never equal the dataset's bare names, so they only add noise.
const FAILURE_HEADER = new RegExp(`(_*) (${PY_DOT}*)\\.py:(${PY_DOT}*) (_*)`, "g");

/**
 * `parse_log_sympy`: `bin/test --verbose` lines `test_name ok|F|E`. Other outcomes (`f`, `s`,
 * `X`, timing suffixes) are not recorded, so those tests count as missing.
 */
export function parseLogSympy(log: string): StatusMap {
  const map: StatusMap = new Map();
  for (const match of log.matchAll(FAILURE_HEADER)) {
    map.set(`${match[2]}.py:${match[3]}`, "FAILED");
  }
  for (const raw of log.split("\n")) {
    const line = pyStrip(raw);
    if (!line.startsWith("test_")) continue;
    if (line.endsWith(" E")) map.set(pySplit(line)[0]!, "ERROR");
    if (line.endsWith(" F")) map.set(pySplit(line)[0]!, "FAILED");
    if (line.endsWith(" ok")) map.set(pySplit(line)[0]!, "PASSED");
  }
  return map;
}
