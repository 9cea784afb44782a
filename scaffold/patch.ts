import type { Sandbox } from "../src/foundation/sandbox/sandbox.ts";

/**
 * Splits a `git diff` into per-file sections and drops binary ones, which `git apply` cannot
 * take from a text diff ("Binary files a/x and b/x differ").
 */
export function withoutBinaryDiffs(diff: string): string {
  const sections = diff.split(/(?=^diff --git )/m);
  return sections.filter((section) => !/^(Binary files .* differ|GIT binary patch)$/m.test(section)).join("");
}

/**
 * The episode's patch: everything changed since `sinceCommit`, new files included
 * (`git add -A && git diff --cached <commit>`), binary files left out. Run through a plain exec,
 * not the agent's shell, so it works even when the shell is wedged.
 */
export async function salvagePatch(sandbox: Sandbox, repoRoot: string, sinceCommit: string): Promise<string> {
  const result = await sandbox.exec(`git add -A && git -c core.fileMode=false diff --no-color --cached ${sinceCommit}`, {
    cwd: repoRoot,
    timeoutMs: 120_000,
  });
  if (result.exitCode !== 0) throw new Error(`git diff in ${repoRoot} failed (exit ${result.exitCode}): ${result.output.slice(-500)}`);
  return withoutBinaryDiffs(result.output);
}
