import { describe, expect, it } from "vitest";
import { PatchParseError, parsePatchFiles, testPatchFiles } from "../harness/evaluation/test-patch-files.ts";

const modified = `diff --git a/pkg/tests/test_mod.py b/pkg/tests/test_mod.py
index 1111111..2222222 100644
--- a/pkg/tests/test_mod.py
+++ b/pkg/tests/test_mod.py
@@ -1,2 +1,2 @@
 import pkg
--- a/looks/like/a/header.py
+++ b/looks/like/a/header.py
`;

const created = `diff --git a/pkg/tests/test_new.py b/pkg/tests/test_new.py
new file mode 100644
index 0000000..3333333
--- /dev/null
+++ b/pkg/tests/test_new.py
@@ -0,0 +1,2 @@
+def test_new():
+    assert True
\\ No newline at end of file
`;

// git writes no ---/+++ lines for an empty new file.
const emptyCreated = `diff --git a/pkg/tests/__init__.py b/pkg/tests/__init__.py
new file mode 100644
index 0000000..e69de29
`;

const renamed = `diff --git a/pkg/tests/old_name.py b/pkg/tests/new_name.py
similarity index 90%
rename from pkg/tests/old_name.py
rename to pkg/tests/new_name.py
index 4444444..5555555 100644
--- a/pkg/tests/old_name.py
+++ b/pkg/tests/new_name.py
@@ -1 +1 @@
-x = 1
+x = 2
`;

const renamedOnly = `diff --git a/pkg/tests/a.py b/pkg/tests/b.py
similarity index 100%
rename from pkg/tests/a.py
rename to pkg/tests/b.py
`;

const deleted = `diff --git a/pkg/tests/test_gone.py b/pkg/tests/test_gone.py
deleted file mode 100644
index 6666666..0000000
--- a/pkg/tests/test_gone.py
+++ /dev/null
@@ -1 +0,0 @@
-def test_gone(): pass
`;

// A plain unified diff without git headers.
const plain = `--- a/pkg/tests/test_plain.py\t2024-01-01 00:00:00
+++ b/pkg/tests/test_plain.py\t2024-01-02 00:00:00
@@ -1 +1,2 @@
 a
+b
`;

describe("testPatchFiles", () => {
  it("lists a modified file once, ignoring header-like lines inside the hunk", () => {
    // The hunk's "--- a/…" is a removed line, its "+++ b/…" an added one: counts say so.
    const patch = modified;
    expect(parsePatchFiles(patch)).toEqual([{ source: "a/pkg/tests/test_mod.py", target: "b/pkg/tests/test_mod.py" }]);
    expect(testPatchFiles(patch)).toEqual({ modified: ["pkg/tests/test_mod.py"], created: [] });
  });

  it("separates created files, with or without ---/+++ lines", () => {
    const patch = modified + created + emptyCreated;
    expect(testPatchFiles(patch)).toEqual({
      modified: ["pkg/tests/test_mod.py"],
      created: ["pkg/tests/test_new.py", "pkg/tests/__init__.py"],
    });
  });

  it("counts a renamed file by its old name as modified, and not as created", () => {
    expect(testPatchFiles(renamed + renamedOnly)).toEqual({ modified: ["pkg/tests/old_name.py", "pkg/tests/a.py"], created: [] });
    expect(parsePatchFiles(renamed)[0]!.target).toBe("b/pkg/tests/new_name.py");
  });

  it("counts a deleted file as modified", () => {
    expect(parsePatchFiles(deleted)).toEqual([{ source: "a/pkg/tests/test_gone.py", target: "/dev/null" }]);
    expect(testPatchFiles(deleted)).toEqual({ modified: ["pkg/tests/test_gone.py"], created: [] });
  });

  it("reads plain unified diffs without git headers", () => {
    expect(testPatchFiles(plain)).toEqual({ modified: ["pkg/tests/test_plain.py"], created: [] });
  });

  it("refuses a hunk whose body is shorter than its header says, as unidiff does", () => {
    expect(() => testPatchFiles(plain.replace("@@ -1 +1,2 @@", "@@ -1,5 +1,6 @@"))).toThrow(PatchParseError);
  });
});
