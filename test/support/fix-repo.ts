import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFixtureRepo } from "../../harness/images/fixture-repo.ts";
import type { TaskRow } from "../../harness/dataset/task-row.ts";

/**
 * A temporary git repository made from a fixture, with the task's test patch committed on top:
 * its tests fail until the bug is fixed, as a developer's repository would before `bottega fix`.
 */
export async function fixRepo(row: TaskRow): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `bottega-fix-${row.instance_id}-`));
  await createFixtureRepo(row.instance_id, dir);
  writeFileSync(join(dir, ".test.patch"), row.test_patch);
  git(dir, "apply", ".test.patch");
  git(dir, "rm", "-q", "--cached", "--ignore-unmatch", ".test.patch");
  execFileSync("rm", [join(dir, ".test.patch")]);
  git(dir, "add", "-A");
  git(dir, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "tests for the bug");
  return dir;
}

export function git(dir: string, ...args: string[]): string {
  return execFileSync("git", ["-C", dir, ...args], { encoding: "utf8" });
}

/** The repository's tests on the host: exit code and output. */
export function hostTests(dir: string): { code: number; output: string } {
  try {
    const output = execFileSync("python3", ["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], {
      cwd: dir,
      encoding: "utf8",
      stdio: "pipe",
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
    });
    return { code: 0, output };
  } catch (error) {
    const e = error as { status: number; stdout: string };
    return { code: e.status, output: e.stdout };
  }
}
