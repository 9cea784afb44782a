import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { loadDataset } from "../harness/dataset/dataset.ts";
import { generateEvalScript, withTestExitCode } from "../harness/evaluation/eval-script.ts";
import { END_TEST_OUTPUT, START_TEST_OUTPUT } from "../harness/evaluation/markers.ts";
import { specFor } from "../harness/dataset/specs/index.ts";
import type { TaskRow } from "../harness/dataset/task-row.ts";
import { parsePatchFiles, testPatchFiles } from "../harness/evaluation/test-patch-files.ts";

const SHARED = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../shared");
const VERIFIED_PARQUET = path.join(SHARED, "data/swe-bench-verified.parquet");
const hasShared = existsSync(VERIFIED_PARQUET);
if (!hasShared) console.warn(`eval-script-verified.test.ts: ${VERIFIED_PARQUET} is absent; skipping the 500-row eval script comparison`);

// Test patches that create files: the v5 parquet checks their post-image paths out (a no-op).
const CREATES_FILES = [
  "django__django-11141",
  "django__django-11749",
  "django__django-13516",
  "django__django-13837",
  "django__django-14311",
  "django__django-15525",
  "django__django-16256",
  "django__django-16454",
  "django__django-16877",
  "pylint-dev__pylint-6528",
  "sphinx-doc__sphinx-10614",
  "sphinx-doc__sphinx-10673",
  "sphinx-doc__sphinx-11510",
  "sphinx-doc__sphinx-8269",
  "sphinx-doc__sphinx-8548",
  "sphinx-doc__sphinx-8595",
  "sphinx-doc__sphinx-9711",
];
// Their created files are all empty: git writes no ---/+++ lines for those.
const CREATES_ONLY_EMPTY_FILES = ["django__django-13837", "django__django-14311"];
// Only created files: v4.1.0's reset is a bare `git checkout <bc> ` (issue #518).
const CREATES_ONLY = ["django__django-16877", "sphinx-doc__sphinx-8595", "sphinx-doc__sphinx-9711"];
const RENAMES_FILE = ["astropy__astropy-7336"];
// Per-instance lines the v5 parquet adds before the start marker.
const PINNED: Record<string, string> = {
  "astropy__astropy-8707": "python -m pip install -q 'pytest<7.2'",
  "astropy__astropy-8872": "export SETUPTOOLS_USE_DISTUTILS=stdlib",
};

const EXPECTED_DIFFERENCES = [
  "astropy__astropy-7336",
  "astropy__astropy-8707",
  "astropy__astropy-8872",
  "django__django-11141",
  "django__django-11749",
  "django__django-13516",
  "django__django-13837",
  "django__django-14311",
  "django__django-15525",
  "django__django-16256",
  "django__django-16454",
  "django__django-16877",
  "pylint-dev__pylint-6528",
  "sphinx-doc__sphinx-10614",
  "sphinx-doc__sphinx-10673",
  "sphinx-doc__sphinx-11510",
  "sphinx-doc__sphinx-8269",
  "sphinx-doc__sphinx-8548",
  "sphinx-doc__sphinx-8595",
  "sphinx-doc__sphinx-9711",
];

describe.skipIf(!hasShared)("eval scripts for SWE-bench Verified (v4.1.0 rules + #539 vs the v5 parquet)", () => {
  let rows: TaskRow[];
  const byId = (id: string) => rows.find((r) => r.instance_id === id)!;
  const generated = (row: TaskRow, resetPolicy?: "v4.1.0" | "539" | "v5-dataset") => generateEvalScript(row, specFor(row), { resetPolicy });

  beforeAll(async () => {
    rows = (await loadDataset({ source: VERIFIED_PARQUET })).rows;
  });

  it("matches the dataset's eval_script for all but exactly 20 rows", () => {
    expect(rows).toHaveLength(500);
    const differing = rows
      .filter((row) => generated(row) !== row.eval_script)
      .map((row) => row.instance_id)
      .sort();
    expect(differing).toEqual(EXPECTED_DIFFERENCES);
    expect(new Set(EXPECTED_DIFFERENCES)).toEqual(new Set([...CREATES_FILES, ...RENAMES_FILE, ...Object.keys(PINNED)]));
  });

  it("explains 18 of them by the reset list: created or renamed test files", () => {
    const createsFiles = rows.filter((r) => testPatchFiles(r.test_patch).created.length > 0).map((r) => r.instance_id);
    expect(createsFiles.sort()).toEqual(CREATES_FILES);

    const renames = rows
      .filter((r) =>
        parsePatchFiles(r.test_patch).some(
          (f) => f.source.startsWith("a/") && f.target.startsWith("b/") && f.source.slice(2) !== f.target.slice(2),
        ),
      )
      .map((r) => r.instance_id);
    expect(renames).toEqual(RENAMES_FILE);

    const onlyEmptyNewFiles = rows
      .filter((r) => {
        const created = r.test_patch.split(/^(?=diff --git )/m).filter((file) => /^new file mode /m.test(file));
        return created.length > 0 && created.every((file) => !/^--- /m.test(file));
      })
      .map((r) => r.instance_id);
    expect(onlyEmptyNewFiles.sort()).toEqual(CREATES_ONLY_EMPTY_FILES);

    const createsOnly = rows.filter((r) => testPatchFiles(r.test_patch).modified.length === 0).map((r) => r.instance_id);
    expect(createsOnly.sort()).toEqual(CREATES_ONLY);
    for (const id of CREATES_ONLY) {
      expect(generated(byId(id), "v4.1.0")).toContain(`\ngit checkout ${byId(id).base_commit} \n`);
    }

    // The v5 parquet's own rule reproduces every one of them.
    for (const id of [...CREATES_FILES, ...RENAMES_FILE]) {
      expect(generated(byId(id), "v5-dataset"), id).toBe(byId(id).eval_script);
    }
  });

  it("explains the other 2 by one pin line before the start marker", () => {
    for (const [id, pin] of Object.entries(PINNED)) {
      const row = byId(id);
      const dataset = row.eval_script!.split("\n");
      const at = dataset.indexOf(pin);
      expect(at, id).toBeGreaterThan(0);
      expect(dataset[at + 1]).toBe(`: '${START_TEST_OUTPUT}'`);
      expect([...dataset.slice(0, at), ...dataset.slice(at + 1)].join("\n")).toBe(generated(row));
    }
  });

  it("agrees with the v5 rule everywhere the test patch neither creates nor renames files", () => {
    const plain = rows.filter((r) => !EXPECTED_DIFFERENCES.includes(r.instance_id));
    expect(plain).toHaveLength(480);
    for (const row of plain) expect(generated(row, "v5-dataset"), row.instance_id).toBe(generated(row));
  });

  it("makes scripts bash can parse, and the exit-code transform applies to each", () => {
    for (const row of rows) {
      const script = generated(row);
      const check = spawnSync("bash", ["-n"], { input: script });
      expect(check.status, `${row.instance_id}: ${check.stderr}`).toBe(0);
      const recorded = withTestExitCode(script).split("\n");
      const end = recorded.indexOf(`: '${END_TEST_OUTPUT}'`);
      expect(recorded[end - 1]).toBe("SWEBENCH_TEST_EXIT_CODE=$?");
      expect(recorded[end + 1]).toBe('echo ">>>>> Test Exit Code: $SWEBENCH_TEST_EXIT_CODE"');
    }
  });
});
