import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFixtureRepo, FIXTURES_DIR } from "../harness/images/fixture-repo.ts";
import { RepoSpecMap } from "../harness/dataset/repo-spec.ts";
import { TaskRow } from "../harness/dataset/task-row.ts";

const run = promisify(execFile);

type FileChange = { path: string; created: boolean };

/** Files a git-style diff touches, by their b-side path, in patch order. */
function changedFiles(patch: string): FileChange[] {
  const changes: FileChange[] = [];
  for (const line of patch.split("\n")) {
    const header = /^diff --git a\/\S+ b\/(\S+)$/.exec(line);
    if (header) changes.push({ path: header[1]!, created: false });
    else if (changes.length > 0 && (line.startsWith("new file mode") || line === "--- /dev/null")) {
      changes[changes.length - 1]!.created = true;
    }
  }
  return changes;
}

function isTestFile(file: string): boolean {
  const parts = file.split("/");
  const name = parts[parts.length - 1]!;
  return (
    parts.slice(0, -1).some((dir) => dir === "tests" || dir === "test") ||
    name.startsWith("test_") ||
    name.endsWith("_test.py") ||
    name === "conftest.py"
  );
}

const unclosedBracket = (id: string) => id.split("[").length > id.split("]").length;

const rawLines = (await readFile(path.join(FIXTURES_DIR, "test.jsonl"), "utf8")).split("\n").filter((l) => l.trim());
const rawRows = rawLines.map((line) => JSON.parse(line) as Record<string, unknown>);
const rows = rawRows.map((raw) => TaskRow.parse(raw));
const wrongPatches = new Map(
  await Promise.all(
    rows.map(
      async (row) => [row.instance_id, await readFile(path.join(FIXTURES_DIR, "wrong", `${row.instance_id}.diff`), "utf8")] as const,
    ),
  ),
);

type Status = { success: string[]; failure: string[] };
const expectedWrong = JSON.parse(await readFile(path.join(FIXTURES_DIR, "wrong", "expected-status.json"), "utf8")) as Record<
  string,
  { FAIL_TO_PASS: Status; PASS_TO_PASS: Status }
>;

describe("fixture rows", () => {
  it("has at least six rows, each a valid TaskRow with a repo folder", async () => {
    expect(rows.length).toBeGreaterThanOrEqual(6);
    const folders = (await readdir(path.join(FIXTURES_DIR, "repos"))).sort();
    expect(folders).toEqual(rows.map((r) => r.instance_id).sort());
  });

  it.each(rows.map((r) => [r.instance_id, r] as const))("%s follows the SWE-bench row conventions", (_id, row) => {
    const raw = rawRows.find((r) => r.instance_id === row.instance_id)!;
    // As in the parquet: the test lists are JSON-encoded strings, not arrays.
    expect(typeof raw.FAIL_TO_PASS).toBe("string");
    expect(typeof raw.PASS_TO_PASS).toBe("string");
    const [, name] = /^bottega-fixtures__(.+)-\d+$/.exec(row.instance_id) ?? [];
    expect(name).toBeDefined();
    expect(row.repo).toBe(`bottega-fixtures/${name}`);
    expect(row.environment_setup_commit).toBe(row.base_commit);
    expect(row.log_parser).toBe("parse_log_pytest");
    expect(row.hints_text).toBe("");
    expect(row.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(row.problem_statement.length).toBeGreaterThan(100);
  });

  it.each(rows.map((r) => [r.instance_id, r] as const))("%s has F2P/P2P ids from the test patch's files", (_id, row) => {
    expect(row.FAIL_TO_PASS.length).toBeGreaterThan(0);
    expect(row.PASS_TO_PASS.length).toBeGreaterThan(0);
    const all = [...row.FAIL_TO_PASS, ...row.PASS_TO_PASS];
    expect(new Set(all).size).toBe(all.length);
    const testFiles = new Set(changedFiles(row.test_patch).map((c) => c.path));
    for (const id of all) expect(testFiles).toContain(id.split("::")[0]);
  });

  it.each(rows.map((r) => [r.instance_id, r] as const))("%s: patch touches no test file, test_patch only test files", (_id, row) => {
    const fix = changedFiles(row.patch);
    const tests = changedFiles(row.test_patch);
    expect(fix.length).toBeGreaterThan(0);
    expect(tests.length).toBeGreaterThan(0);
    expect(fix.filter((c) => isTestFile(c.path))).toEqual([]);
    expect(tests.filter((c) => !isTestFile(c.path))).toEqual([]);
    expect(changedFiles(wrongPatches.get(row.instance_id)!).filter((c) => isTestFile(c.path))).toEqual([]);
  });

  it("keeps fixture files at mode 0644", async () => {
    const walk = async (dir: string): Promise<string[]> => {
      const entries = await readdir(dir, { withFileTypes: true });
      const nested = await Promise.all(
        entries.map((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : Promise.resolve([path.join(dir, e.name)]))),
      );
      return nested.flat();
    };
    const files = await walk(path.join(FIXTURES_DIR, "repos"));
    const odd = [];
    for (const file of files) if (((await stat(file)).mode & 0o777) !== 0o644) odd.push(file);
    expect(odd).toEqual([]);
  });
});

describe("coverage cases", () => {
  const modifiedFiles = (patch: string) => changedFiles(patch).filter((c) => !c.created);

  it("has a bug fixed in exactly one file", () => {
    expect(rows.some((r) => changedFiles(r.patch).length === 1)).toBe(true);
  });

  it("has a fix that edits two existing files", () => {
    expect(rows.some((r) => modifiedFiles(r.patch).length >= 2)).toBe(true);
  });

  it("has a gold patch that creates a file", () => {
    expect(rows.some((r) => changedFiles(r.patch).some((c) => c.created))).toBe(true);
  });

  it("has a test patch that creates a test file", () => {
    expect(rows.some((r) => changedFiles(r.test_patch).some((c) => c.created))).toBe(true);
  });

  it("has F2P ids truncated inside a parametrization (unclosed '[')", () => {
    expect(rows.some((r) => r.FAIL_TO_PASS.some(unclosedBracket))).toBe(true);
  });

  it("has a wrong patch that fixes every F2P test but breaks a P2P test", () => {
    const designated = rows.filter((r) => {
      const status = expectedWrong[r.instance_id];
      return status && status.FAIL_TO_PASS.failure.length === 0 && status.PASS_TO_PASS.failure.length > 0;
    });
    expect(designated.length).toBeGreaterThanOrEqual(1);
  });
});

describe("wrong patches' recorded grading", () => {
  it.each(rows.map((r) => [r.instance_id, r] as const))("%s partitions the row's lists and does not resolve", (_id, row) => {
    const status = expectedWrong[row.instance_id];
    expect(status).toBeDefined();
    expect([...status!.FAIL_TO_PASS.success, ...status!.FAIL_TO_PASS.failure].sort()).toEqual([...row.FAIL_TO_PASS].sort());
    expect([...status!.PASS_TO_PASS.success, ...status!.PASS_TO_PASS.failure].sort()).toEqual([...row.PASS_TO_PASS].sort());
    expect(status!.FAIL_TO_PASS.failure.length + status!.PASS_TO_PASS.failure.length).toBeGreaterThan(0);
  });
});

describe("specs.json", () => {
  it("validates and covers every row's repo and version", async () => {
    const specs = RepoSpecMap.parse(JSON.parse(await readFile(path.join(FIXTURES_DIR, "specs.json"), "utf8")));
    for (const row of rows) {
      const spec = specs[row.repo]?.[row.version];
      expect(spec, `${row.repo} ${row.version}`).toBeDefined();
      expect(spec!.test_cmd).toBe("pytest -rA");
      expect(spec!.log_parser).toBe("parse_log_pytest");
    }
  });
});

describe("base commits and patch application (git on the host)", () => {
  let scratch = "";
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), "bottega-fixtures-"));
  });
  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it.each(rows.map((r) => [r.instance_id, r] as const))("%s", async (id, row) => {
    const repo = path.join(scratch, id);
    expect(await createFixtureRepo(id, repo)).toBe(row.base_commit);

    const patches = { patch: row.patch, test_patch: row.test_patch, wrong: wrongPatches.get(id)! };
    for (const [name, text] of Object.entries(patches)) await writeFile(path.join(scratch, `${id}.${name}.diff`), text);
    const file = (name: keyof typeof patches) => path.join(scratch, `${id}.${name}.diff`);
    const git = (...args: string[]) => run("git", args, { cwd: repo });

    for (const name of ["patch", "test_patch", "wrong"] as const) await git("apply", "--check", file(name));
    // The eval order: model patch first, then the test patch on top of it.
    for (const model of ["patch", "wrong"] as const) {
      await git("apply", file(model));
      await git("apply", "--check", file("test_patch"));
      await git("reset", "-q", "--hard");
      await git("clean", "-fdq");
    }
  });
});
