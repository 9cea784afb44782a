import type { StatusMap } from "../test-status.ts";
import { LogParserCrash } from "./parser-crash.ts";
import { PY_DOT, PY_ML_END, PY_ML_START, PY_WS, beforeFirst, beforeLast, pySplit, pyStrip } from "./python-text.ts";

const PARSER = "parse_log_django";
const PASS_SUFFIXES = [" ... ok", " ... OK", " ...  OK"] as const;
// django__django-7188 prints a migration line and the test result on one line.
const MIGRATION_7188 = "Applying sites.0002_alter_domain_unique...test_no_migrations";
const VERSION_DOCSTRING = "--version is equivalent to version";

/**
 * A test whose `... ok` was pushed to the next line by a multi-line message printed in between
 * (the official parser's three MULTILINE regexes, run over the whole text, with Python's `^`,
 * `$`, `.` and `\s`).
 */
const INTERRUPTED_OK = [
  `${PY_ML_START}(${PY_DOT}*?)${PY_WS}\\.\\.\\.${PY_WS}Testing against Django installed in ([\\s\\S]*?) silenced\\)\\.\\nok${PY_ML_END}`,
  `${PY_ML_START}(${PY_DOT}*?)${PY_WS}\\.\\.\\.${PY_WS}Internal Server Error: \\/(${PY_DOT}*)\\/\\nok${PY_ML_END}`,
  `${PY_ML_START}(${PY_DOT}*?)${PY_WS}\\.\\.\\.${PY_WS}System check identified no issues \\(0 silenced\\)\\nok${PY_ML_END}`,
].map((source) => new RegExp(source, "g"));

/**
 * `parse_log_django`: `runtests.py --verbosity 2` lines `name ... ok|skipped|FAIL|ERROR` and the
 * `FAIL:`/`ERROR:` headers. For a test with a docstring Django prints the docstring's first line
 * before ` ... ok`, so that line becomes the key — the dataset holds thousands of such ids.
 * All checks run on every (stripped) line; none excludes another.
 */
export function parseLogDjango(log: string): StatusMap {
  const map: StatusMap = new Map();
  let prevTest: string | undefined;
  const secondToken = (line: string, index: number): string => {
    const tokens = pySplit(line);
    // `FAIL:` or `ERROR:` with nothing after it: Python's split()[1] raises.
    if (tokens.length < 2) throw new LogParserCrash(PARSER, "IndexError", index + 1, line);
    return tokens[1]!;
  };

  log.split("\n").forEach((raw, index) => {
    let line = pyStrip(raw);

    if (line.includes(VERSION_DOCSTRING)) map.set(VERSION_DOCSTRING, "PASSED");

    // Remembered for the `ok`-on-a-later-line rule below; never reset once set.
    if (line.includes(" ... ")) prevTest = beforeFirst(line, " ... ");

    for (const suffix of PASS_SUFFIXES) {
      if (!line.endsWith(suffix)) continue;
      if (line.startsWith(MIGRATION_7188)) {
        const cut = line.indexOf("...");
        line = pyStrip(line.slice(cut + 3));
      }
      map.set(beforeLast(line, suffix), "PASSED");
      break;
    }
    if (line.includes(" ... skipped")) map.set(beforeFirst(line, " ... skipped"), "SKIPPED");
    if (line.endsWith(" ... FAIL")) map.set(beforeFirst(line, " ... FAIL"), "FAILED");
    if (line.startsWith("FAIL:")) map.set(secondToken(line, index), "FAILED");
    if (line.endsWith(" ... ERROR")) map.set(beforeFirst(line, " ... ERROR"), "ERROR");
    if (line.startsWith("ERROR:")) map.set(secondToken(line, index), "ERROR");

    // Output printed between "..." and "ok" puts the "ok" on a later line of its own.
    if (line.startsWith("ok") && prevTest !== undefined) map.set(prevTest, "PASSED");
  });

  for (const pattern of INTERRUPTED_OK) {
    for (const match of log.matchAll(pattern)) map.set(match[1]!, "PASSED");
  }
  return map;
}
