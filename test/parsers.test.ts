import { describe, expect, it } from "vitest";
import { parseLogDjango } from "../harness/grading/parsers/django.ts";
import { parseLogMatplotlib } from "../harness/grading/parsers/matplotlib.ts";
import { LogParserCrash } from "../harness/grading/parsers/parser-crash.ts";
import { parseLogPytestOptions } from "../harness/grading/parsers/pytest-options.ts";
import { parseLogPytestV2 } from "../harness/grading/parsers/pytest-v2.ts";
import { parseLogPytest } from "../harness/grading/parsers/pytest.ts";
import { pySplit, pyStrip } from "../harness/grading/parsers/python-text.ts";
import { parseLogSeaborn } from "../harness/grading/parsers/seaborn.ts";
import { parseLogSympy } from "../harness/grading/parsers/sympy.ts";
import type { StatusMap } from "../harness/grading/test-status.ts";

/** The map as ordered entries, so insertion order is asserted too. */
const entries = (map: StatusMap) => [...map.entries()];
const lines = (...xs: string[]) => xs.join("\n");

describe("Python string semantics", () => {
  it("split() and strip() use Python's whitespace, not JavaScript's", () => {
    // U+001C..U+001F and U+0085 are whitespace to Python; U+FEFF is not.
    expect(pySplit("a\x1cb\x1dc\x1ed\x1fe\x85f")).toEqual(["a", "b", "c", "d", "e", "f"]);
    expect(pySplit("a\ufeffb")).toEqual(["a\ufeffb"]);
    expect(pySplit("  a \t\u3000 b\u2028")).toEqual(["a", "b"]);
    expect(pySplit(" \t ")).toEqual([]);
    expect(pyStrip("\x1c\x85 ok \u00a0")).toBe("ok");
    expect(pyStrip("\ufeffok")).toBe("\ufeffok");
  });
});

describe("parse_log_pytest", () => {
  it("keys by the first token after the status, truncating ids at a space", () => {
    const log = lines(
      "PASSED tests/test_a.py::test_p[a b]",
      "XFAIL tests/test_a.py::test_x - reason",
      "ERROR tests/test_a.py::test_e - RuntimeError",
    );
    expect(entries(parseLogPytest(log, "v4"))).toEqual([
      ["tests/test_a.py::test_p[a", "PASSED"],
      ["tests/test_a.py::test_x", "XFAIL"],
      ["tests/test_a.py::test_e", "ERROR"],
    ]);
  });

  it('replaces " - " only on FAILED lines', () => {
    // "FAILED - msg" → "FAILED msg": the message becomes the name. Other statuses keep the dash.
    const log = lines("FAILED - boom", "ERROR - boom", "FAILED tests/t.py::test_f - AssertionError: x - y");
    expect(entries(parseLogPytest(log, "v4"))).toEqual([
      ["boom", "FAILED"],
      ["-", "ERROR"],
      ["tests/t.py::test_f", "FAILED"],
    ]);
  });

  it("records SKIPPED [N] summaries as the key [N] in v4 and drops them in v5", () => {
    const log = "SKIPPED [1] tests/t.py:10: requires numpy";
    expect(entries(parseLogPytest(log, "v4"))).toEqual([["[1]", "SKIPPED"]]);
    expect(entries(parseLogPytest(log, "v5"))).toEqual([]);
  });

  it("keeps a wrapped PASSED [100%] progress line as the key [100%] in both versions", () => {
    for (const semantics of ["v4", "v5"] as const) {
      expect(entries(parseLogPytest("PASSED [100%]", semantics))).toEqual([["[100%]", "PASSED"]]);
    }
  });

  it("ignores XPASS, indented lines and lines with a single token", () => {
    const log = lines("XPASS tests/t.py::test_xp", "  PASSED tests/t.py::test_indented", "PASSED", "FAILED ");
    expect(entries(parseLogPytest(log, "v4"))).toEqual([]);
  });

  it("lets later lines overwrite earlier ones, keeping the first position", () => {
    const log = lines("FAILED t.py::a", "PASSED t.py::b", "PASSED t.py::a");
    expect(entries(parseLogPytest(log, "v4"))).toEqual([
      ["t.py::a", "PASSED"],
      ["t.py::b", "PASSED"],
    ]);
  });

  it("stores the first token verbatim when a line merely starts with a status word", () => {
    const log = lines("ERROR: file or directory not found: tests/x.py", "PASSEDX t.py::odd");
    expect(entries(parseLogPytest(log, "v4"))).toEqual([
      ["file", "ERROR:"],
      ["t.py::odd", "PASSEDX"],
    ]);
  });

  it("splits on Python whitespace such as U+001C but not on U+FEFF", () => {
    const log = lines("PASSED\x1ct.py::a", "PASSED\ufefft.py::b");
    expect(entries(parseLogPytest(log, "v4"))).toEqual([["t.py::a", "PASSED"]]);
  });
});

describe("parse_log_pytest_options", () => {
  it("reduces an absolute-path parameter to its last component", () => {
    const log = "PASSED tests/test_x.py::test_stdin[/tmp/pytest-of-root/pytest-0/mymodule.py]";
    expect(entries(parseLogPytestOptions(log, "v4"))).toEqual([["tests/test_x.py::test_stdin[/mymodule.py]", "PASSED"]]);
  });

  it("leaves //-paths, globs and relative parameters alone", () => {
    const log = lines("PASSED t.py::u[//host/a/b]", "PASSED t.py::g[/tmp/*.py]", "PASSED t.py::r[a/b/c]");
    expect(entries(parseLogPytestOptions(log, "v4"))).toEqual([
      ["t.py::u[//host/a/b]", "PASSED"],
      ["t.py::g[/tmp/*.py]", "PASSED"],
      ["t.py::r[a/b/c]", "PASSED"],
    ]);
  });

  it("rebuilds the key from the first [ to the last ], dropping anything after it", () => {
    const log = lines("PASSED t.py::s[x]tail", "PASSED t.py::m[a][/b/c]");
    expect(entries(parseLogPytestOptions(log, "v4"))).toEqual([
      ["t.py::s[x]", "PASSED"],
      // The option is "a][/b/c", which does not start with "/".
      ["t.py::m[a][/b/c]", "PASSED"],
    ]);
  });

  it("drops SKIPPED [N] in v5 only", () => {
    const log = "SKIPPED [2] t.py:3: reason";
    expect(entries(parseLogPytestOptions(log, "v4"))).toEqual([["[2]", "SKIPPED"]]);
    expect(entries(parseLogPytestOptions(log, "v5"))).toEqual([]);
  });
});

describe("parse_log_matplotlib", () => {
  it("rewrites MouseButton enum reprs before parsing", () => {
    const log = lines("PASSED lib/t.py::test_btn[MouseButton.LEFT]", "FAILED lib/t.py::test_btn[MouseButton.RIGHT] - err");
    expect(entries(parseLogMatplotlib(log, "v4"))).toEqual([
      ["lib/t.py::test_btn[1]", "PASSED"],
      ["lib/t.py::test_btn[3]", "FAILED"],
    ]);
  });

  it("drops SKIPPED [N] in v5 only", () => {
    expect(entries(parseLogMatplotlib("SKIPPED [3] a.py:1: r", "v4"))).toEqual([["[3]", "SKIPPED"]]);
    expect(entries(parseLogMatplotlib("SKIPPED [3] a.py:1: r", "v5"))).toEqual([]);
  });
});

describe("parse_log_pytest_v2", () => {
  it("removes single-number colour codes (with or without ESC) and control characters", () => {
    const log = lines("\x1b[32mPASSED\x1b[0m tests/t.py::test_a", "[31mFAILED[0m tests/t.py::test_b - boom");
    expect(entries(parseLogPytestV2(log, "v4"))).toEqual([
      ["tests/t.py::test_a", "PASSED"],
      ["tests/t.py::test_b", "FAILED"],
    ]);
  });

  it("keeps multi-number codes such as [1;31m and removes Python \\d digits of any script", () => {
    const log = lines("PASSED t.py::c\x1b[1;31m", "PASSED t.py::d[\u0663m]");
    expect(entries(parseLogPytestV2(log, "v4"))).toEqual([
      ["t.py::c[1;31m", "PASSED"],
      ["t.py::d]", "PASSED"],
    ]);
  });

  it("deletes TAB, gluing the status to the name (the plain pytest parser would split there)", () => {
    expect(entries(parseLogPytestV2("PASSED\tt.py::e", "v4"))).toEqual([]);
    expect(entries(parseLogPytest("PASSED\tt.py::e", "v4"))).toEqual([["t.py::e", "PASSED"]]);
  });

  it("reads old verbose lines that end with the status: v4 takes tokens 0 and 1, v5 all but the last", () => {
    const log = lines("astropy/t.py::test_f PASSED", "t.py::test_g[a b] FAILED");
    expect(entries(parseLogPytestV2(log, "v4"))).toEqual([
      ["astropy/t.py::test_f", "PASSED"],
      ["t.py::test_g[a", "b]"],
    ]);
    expect(entries(parseLogPytestV2(log, "v5"))).toEqual([
      ["astropy/t.py::test_f", "PASSED"],
      ["t.py::test_g[a b]", "FAILED"],
    ]);
  });

  it("v5 keeps full parametrized ids and cuts FAILED lines at the first ' - '", () => {
    const log = lines("PASSED t.py::test_h[a b]", "FAILED t.py::test_i[x y] - AssertionError - more", "SKIPPED [4] t.py:1: r");
    expect(entries(parseLogPytestV2(log, "v4"))).toEqual([
      ["t.py::test_h[a", "PASSED"],
      ["t.py::test_i[x", "FAILED"],
      ["[4]", "SKIPPED"],
    ]);
    expect(entries(parseLogPytestV2(log, "v5"))).toEqual([
      ["t.py::test_h[a b]", "PASSED"],
      ["t.py::test_i[x y]", "FAILED"],
    ]);
  });
});

describe("parse_log_django", () => {
  it("reads ' ... ok|OK|  OK' lines in both the pre-5.0 and the 5.0 name formats", () => {
    const log = lines(
      "test_a (app.tests.T) ... ok",
      "test_a (app.tests.T.test_a) ... ok",
      "test_b (app.tests.T) ... OK",
      "test_c (app.tests.T) ...  OK",
    );
    expect(entries(parseLogDjango(log))).toEqual([
      ["test_a (app.tests.T)", "PASSED"],
      ["test_a (app.tests.T.test_a)", "PASSED"],
      ["test_b (app.tests.T)", "PASSED"],
      ["test_c (app.tests.T)", "PASSED"],
    ]);
  });

  it("keys a test with a docstring by the docstring's first line", () => {
    const log = lines("test_d (app.tests.T)", "Named URLs should be reversible ... ok");
    expect(entries(parseLogDjango(log))).toEqual([["Named URLs should be reversible", "PASSED"]]);
  });

  it("reads skipped, FAIL and ERROR lines, and FAIL:/ERROR: headers by their second token only", () => {
    const log = lines(
      "test_e (app.tests.T) ... skipped 'no db'",
      "test_f (app.tests.T) ... FAIL",
      "test_g (app.tests.T) ... ERROR",
      "FAIL: test_f (app.tests.T)",
      "ERROR: test_g (app.tests.T)",
    );
    expect(entries(parseLogDjango(log))).toEqual([
      ["test_e (app.tests.T)", "SKIPPED"],
      ["test_f (app.tests.T)", "FAILED"],
      ["test_g (app.tests.T)", "ERROR"],
      ["test_f", "FAILED"],
      ["test_g", "ERROR"],
    ]);
  });

  it("passes the last ' ... ' test when a later stripped line starts with ok, and never forgets it", () => {
    const log = lines(
      "test_h (app.tests.T) ... some output",
      "more output",
      "   ok",
      "test_i (app.tests.T) ... FAIL",
      "okay, later output",
    );
    // The last line starts with "ok", so the FAIL of test_i is overwritten.
    expect(entries(parseLogDjango(log))).toEqual([
      ["test_h (app.tests.T)", "PASSED"],
      ["test_i (app.tests.T)", "PASSED"],
    ]);
  });

  it("handles the --version docstring and the django-7188 migration line", () => {
    const log = lines(
      "--version is equivalent to version",
      "Applying sites.0002_alter_domain_unique...test_no_migrations (migrations.tests.T) ... ok",
    );
    expect(entries(parseLogDjango(log))).toEqual([
      ["--version is equivalent to version", "PASSED"],
      ["test_no_migrations (migrations.tests.T)", "PASSED"],
    ]);
  });

  it("recovers 'Testing against Django installed in …' interruptions across lines", () => {
    const log = lines(
      "test_j (app.tests.T) ... Testing against Django installed in '/django'",
      "Importing application x ... done",
      "System check identified some issues (0 silenced).",
      "ok",
    );
    // The line rule credits the wrong test ("Importing application x"); the regex adds test_j.
    expect(entries(parseLogDjango(log))).toEqual([
      ["Importing application x", "PASSED"],
      ["test_j (app.tests.T)", "PASSED"],
    ]);
  });

  it("matches the interruption regexes with Python's \\s (TAB, U+001C) and $ before a newline", () => {
    const log = lines(
      "test_k (app.tests.T)\t...\tInternal Server Error: /admin/x/",
      "ok",
      "test_l (app.tests.T)\x1c...\x1cSystem check identified no issues (0 silenced)",
      "ok",
      "test_m (app.tests.T)\t...\tSystem check identified no issues (0 silenced)",
      "okay",
    );
    // No " ... " with spaces, so only the regexes fire; "okay" fails the regex's "\nok$".
    expect(entries(parseLogDjango(log))).toEqual([
      ["test_k (app.tests.T)", "PASSED"],
      ["test_l (app.tests.T)", "PASSED"],
    ]);
  });

  it("raises like Python's IndexError on a bare FAIL: header", () => {
    const crash = (() => {
      try {
        parseLogDjango(lines("test_a (m.T) ... ok", "  FAIL:  "));
      } catch (error) {
        return error;
      }
    })();
    expect(crash).toBeInstanceOf(LogParserCrash);
    expect(crash).toMatchObject({ parser: "parse_log_django", lineNumber: 2, pythonException: "IndexError" });
  });
});

describe("parse_log_seaborn", () => {
  it("reads FAILED summaries, verbose PASSED lines and PASSED summaries only", () => {
    const log = lines(
      "tests/t.py::test_b PASSED [ 50%]",
      "PASSED tests/t.py::test_c",
      "FAILED tests/t.py::test_a - AssertionError",
      "SKIPPED [1] tests/t.py:4: r",
      "ERROR tests/t.py::test_e",
      "XFAIL tests/t.py::test_x",
      "x y PASSED z",
    );
    expect(entries(parseLogSeaborn(log, "v4"))).toEqual([
      ["tests/t.py::test_b", "PASSED"],
      ["tests/t.py::test_c", "PASSED"],
      ["tests/t.py::test_a", "FAILED"],
    ]);
  });

  it("raises IndexError in v4 on a status line without a second token; v5 skips it", () => {
    for (const [log, lineNumber] of [
      [lines("PASSED t.py::ok", "FAILED"), 2],
      [" PASSED ", 1],
      ["PASSED", 1],
    ] as const) {
      expect(() => parseLogSeaborn(log, "v4")).toThrow(LogParserCrash);
      try {
        parseLogSeaborn(log, "v4");
      } catch (error) {
        expect(error).toMatchObject({ parser: "parse_log_seaborn", lineNumber });
      }
      expect(() => parseLogSeaborn(log, "v5")).not.toThrow();
    }
    expect(entries(parseLogSeaborn(lines("PASSED t.py::ok", "FAILED"), "v5"))).toEqual([["t.py::ok", "PASSED"]]);
  });
});

describe("parse_log_sympy", () => {
  it("reads 'test_x ok|F|E' lines after stripping, ignoring other outcomes", () => {
    const log = lines("test_a ok", "  test_b F", "test_c E", "test_d f", "test_e s", "test_f X", "test_g ok [0.5s]");
    expect(entries(parseLogSympy(log))).toEqual([
      ["test_a", "PASSED"],
      ["test_b", "FAILED"],
      ["test_c", "ERROR"],
    ]);
  });

  it("records failure-block headers as path-qualified FAILED keys, before the line results", () => {
    const log = lines("test_immutable F", "________ sympy/core/tests/test_basic.py:test_immutable ________");
    expect(entries(parseLogSympy(log))).toEqual([
      ["sympy/core/tests/test_basic.py:test_immutable", "FAILED"],
      ["test_immutable", "FAILED"],
    ]);
  });
});
