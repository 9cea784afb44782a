/**
 * Test directives: the arguments appended to a spec's test command, taken from the test patch
 * exactly as the official v4.1.0 harness does (`get_test_directives`), quirks included.
 */

// The official list; "csv" really has no dot, so e.g. "data_csv" would be dropped too.
export const NON_TEST_EXTS = [".json", ".png", "csv", ".txt", ".md", ".jpg", ".jpeg", ".pkl", ".yml", ".yaml", ".toml"];

// Python's `diff --git a/.* b/(.*)` with re.findall: unanchored, so it also matches inside hunk
// lines. Python's `.` stops only at `\n` (JS's also stops at `\r`), hence `[^\n]`.
const DIFF_HEADER = /diff --git a\/[^\n]* b\/([^\n]*)/g;

export function testDirectives(row: { repo: string; test_patch: string }): string[] {
  if (row.repo === "swe-bench/humaneval") return ["test.py"];

  const paths = [...row.test_patch.matchAll(DIFF_HEADER)]
    .map((match) => match[1]!)
    .filter((path) => !NON_TEST_EXTS.some((ext) => path.endsWith(ext)));

  if (row.repo !== "django/django") return paths;
  // Django's runtests.py takes dotted module labels relative to tests/.
  return paths.map((path) => {
    const noExt = path.endsWith(".py") ? path.slice(0, -".py".length) : path;
    const relative = noExt.startsWith("tests/") ? noExt.slice("tests/".length) : noExt;
    return relative.replaceAll("/", ".");
  });
}
