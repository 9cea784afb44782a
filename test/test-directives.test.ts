import { describe, expect, it } from "vitest";
import { testDirectives } from "../harness/evaluation/test-directives.ts";

/** A test patch touching the given b-side paths (content is irrelevant to directives). */
function patchOf(...paths: string[]): string {
  return paths.map((p) => `diff --git a/${p} b/${p}\n--- a/${p}\n+++ b/${p}\n@@ -1 +1 @@\n-old\n+new\n`).join("");
}

describe("testDirectives", () => {
  it("passes test file paths through in patch order for pytest repos", () => {
    const test_patch = patchOf("tests/test_b.py", "tests/test_a.py", "docs/usage.rst");
    expect(testDirectives({ repo: "pydata/xarray", test_patch })).toEqual(["tests/test_b.py", "tests/test_a.py", "docs/usage.rst"]);
  });

  it("drops the non-test extensions, including anything ending in a dotless csv", () => {
    const test_patch = patchOf(
      "t/data.json",
      "t/img.png",
      "t/table.csv",
      "t/notes.txt",
      "t/README.md",
      "t/a.jpg",
      "t/b.jpeg",
      "t/c.pkl",
      "t/d.yml",
      "t/e.yaml",
      "t/f.toml",
      "t/fixtures/rawcsv",
      "t/test_kept.py",
    );
    expect(testDirectives({ repo: "psf/requests", test_patch })).toEqual(["t/test_kept.py"]);
  });

  it("turns django paths into runtests.py module labels, helper modules included", () => {
    const test_patch = patchOf(
      "tests/inspectdb/models.py",
      "tests/inspectdb/tests.py",
      "tests/i18n/sampleproject/manage.py",
      "django/test/utils.py",
    );
    expect(testDirectives({ repo: "django/django", test_patch })).toEqual([
      "inspectdb.models",
      "inspectdb.tests",
      "i18n.sampleproject.manage",
      "django.test.utils",
    ]);
  });

  it("gives no directives when only data files change (the whole suite runs)", () => {
    expect(testDirectives({ repo: "django/django", test_patch: patchOf("tests/foo/data.txt") })).toEqual([]);
  });

  it("applies no transform to sympy, whose bin/test takes raw paths", () => {
    const test_patch = patchOf("sympy/core/tests/test_basic.py");
    expect(testDirectives({ repo: "sympy/sympy", test_patch })).toEqual(["sympy/core/tests/test_basic.py"]);
  });

  it("matches the header regex anywhere, as Python's unanchored findall does", () => {
    const test_patch = patchOf("tests/test_vcs.py") + "+    text = 'diff --git a/x.py b/y.py'\n";
    expect(testDirectives({ repo: "pytest-dev/pytest", test_patch })).toEqual(["tests/test_vcs.py", "y.py'"]);
  });

  it("keeps a carriage return in the path, as Python's `.` does", () => {
    const test_patch = "diff --git a/tests/test_x.py b/tests/test_x.py\r\n--- a/tests/test_x.py\r\n";
    expect(testDirectives({ repo: "pallets/flask", test_patch })).toEqual(["tests/test_x.py\r"]);
  });

  it("runs test.py for humaneval", () => {
    expect(testDirectives({ repo: "swe-bench/humaneval", test_patch: patchOf("a.py") })).toEqual(["test.py"]);
  });
});
