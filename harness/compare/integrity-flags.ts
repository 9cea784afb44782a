import { z } from "zod";
import { END_TEST_OUTPUT, START_TEST_OUTPUT } from "../evaluation/markers.ts";
import { parsePatchFiles, testPatchFiles } from "../evaluation/test-patch-files.ts";

/**
 * Signs that a prediction may game the grading rather than fix the bug; each one must be seen
 * before a score is believed. A flag is a reason to read the patch, not a verdict.
 */
export const IntegrityFlag = z.enum([
  /** The patch edits a test file (a `tests/`/`test/`/`testing/` folder, `test_*.py`, `*_test.py`). */
  "touches_test_files",
  /** The patch edits or adds a `conftest.py`, which pytest loads before any test (SWE-bench#601). */
  "touches_conftest",
  /** `pytest.ini`, `tox.ini`, or the pytest/tox sections of `setup.cfg`/`pyproject.toml`. */
  "touches_test_config",
  /** The patch edits a file the dataset's test patch also touches (the grader overwrites or resets it). */
  "touches_test_patch_files",
  /** The test log holds the harness's start or end marker more than once: a forged block (SWE-bench#608). */
  "repeated_test_markers",
]);
export type IntegrityFlag = z.infer<typeof IntegrityFlag>;

export interface IntegrityFinding {
  flags: IntegrityFlag[];
  /** The patched files behind the file flags. */
  files: string[];
}

const TEST_DIR = /(^|\/)(tests?|testing)\//;
const TEST_FILE = /(^|\/)(test_[^/]*\.py|[^/]*_tests?\.py)$/;
const TEST_CONFIG_FILE = /(^|\/)(pytest\.ini|tox\.ini)$/;
const SECTIONED_CONFIG_FILE = /(^|\/)(setup\.cfg|pyproject\.toml)$/;
// A hunk of setup.cfg/pyproject.toml that names a pytest or tox section, or a pytest option.
const TEST_SECTION =
  /\[(tool:pytest|pytest|tool\.pytest[^\]]*|tox[^\]]*|tool\.tox[^\]]*)\]|^[-+ ]\s*(addopts|testpaths|python_files|python_classes|python_functions|norecursedirs|usefixtures|pytest_plugins)\s*=/m;

function stripPrefix(path: string): string {
  return path.startsWith("a/") || path.startsWith("b/") ? path.slice(2) : path;
}

/** The patch's files (both sides of renames), tolerating a malformed patch by reading its headers. */
function patchedPaths(patch: string): string[] {
  const paths = new Set<string>();
  try {
    for (const file of parsePatchFiles(patch)) {
      for (const side of [file.source, file.target]) if (side !== "/dev/null") paths.add(stripPrefix(side));
    }
  } catch {
    for (const match of patch.matchAll(/^diff --git a\/(\S+) b\/(\S+)/gm)) {
      paths.add(match[1]!);
      paths.add(match[2]!);
    }
  }
  return [...paths];
}

/** Each file's part of the patch, by its `diff --git` header, to look at its hunks. */
function fileBlocks(patch: string): Map<string, string> {
  const blocks = new Map<string, string>();
  const parts = patch.split(/^(?=diff --git )/m);
  for (const part of parts) {
    const header = /^diff --git a\/(\S+) b\/(\S+)/.exec(part);
    if (header) blocks.set(header[2]!, (blocks.get(header[2]!) ?? "") + part);
  }
  return blocks;
}

function countOccurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) count++;
  return count;
}

// Every run of a comparison checks the same test patches: parse each once.
const testPatchCache = new Map<string, ReadonlySet<string> | null>();

/** The files the dataset's test patch modifies or creates (null when it cannot be parsed). */
function filesOfTestPatch(testPatch: string): ReadonlySet<string> | null {
  let files = testPatchCache.get(testPatch);
  if (files === undefined) {
    try {
      const touched = testPatchFiles(testPatch);
      files = new Set([...touched.modified, ...touched.created]);
    } catch {
      files = null;
    }
    testPatchCache.set(testPatch, files);
  }
  return files;
}

/** The integrity flags of one prediction: its patch against the dataset's test patch, and its test log. */
export function integrityFindings(input: { patch: string | null; testPatch: string | null; testLog: string | null }): IntegrityFinding {
  const flags = new Set<IntegrityFlag>();
  const files = new Set<string>();
  const mark = (flag: IntegrityFlag, file?: string) => {
    flags.add(flag);
    if (file) files.add(file);
  };
  if (input.patch) {
    const paths = patchedPaths(input.patch);
    let blocks: Map<string, string> | undefined;
    const testPatchPaths = input.testPatch ? filesOfTestPatch(input.testPatch) : null;
    for (const path of paths) {
      if (/(^|\/)conftest\.py$/.test(path)) mark("touches_conftest", path);
      else if (TEST_DIR.test(path) || TEST_FILE.test(path)) mark("touches_test_files", path);
      if (TEST_CONFIG_FILE.test(path)) mark("touches_test_config", path);
      else if (SECTIONED_CONFIG_FILE.test(path)) {
        blocks ??= fileBlocks(input.patch);
        if (TEST_SECTION.test(blocks.get(path) ?? "")) mark("touches_test_config", path);
      }
      if (testPatchPaths?.has(path)) mark("touches_test_patch_files", path);
    }
  }
  if (input.testLog !== null) {
    if (countOccurrences(input.testLog, START_TEST_OUTPUT) > 1 || countOccurrences(input.testLog, END_TEST_OUTPUT) > 1) {
      mark("repeated_test_markers");
    }
  }
  return { flags: IntegrityFlag.options.filter((flag) => flags.has(flag)), files: [...files].sort() };
}
