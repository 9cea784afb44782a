import { execFile } from "node:child_process";
import { cp, mkdir } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { PACKAGE_ROOT } from "../../src/foundation/store/package-root.ts";

const run = promisify(execFile);

/**
 * How a fixture's base commit is made. The image builder runs the same line inside the
 * container and the host-side tests run it in temp dirs; both must produce the `base_commit`
 * stored in tasks/fixtures/test.jsonl, so every input of the commit hash is pinned here.
 */
export const FIXTURE_GIT_ENV: Readonly<Record<string, string>> = Object.freeze({
  GIT_AUTHOR_NAME: "Bottega Fixtures",
  GIT_AUTHOR_EMAIL: "fixtures@bottega.invalid",
  GIT_AUTHOR_DATE: "2024-01-01T00:00:00+0000",
  GIT_COMMITTER_NAME: "Bottega Fixtures",
  GIT_COMMITTER_EMAIL: "fixtures@bottega.invalid",
  GIT_COMMITTER_DATE: "2024-01-01T00:00:00+0000",
});

/** Config that would otherwise come from the user's or the image's git config. */
export const FIXTURE_GIT_CONFIG: readonly string[] = Object.freeze(["core.autocrlf=false", "commit.gpgsign=false", "core.fileMode=true"]);

/** tasks/fixtures, resolved from this file so it works from any cwd. */
export const FIXTURES_DIR = path.join(PACKAGE_ROOT, "tasks", "fixtures");

// Instance ids end up inside a shell line; SWE-bench ids never need quoting beyond this set.
const INSTANCE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export class FixtureIdError extends Error {
  constructor(readonly instanceId: string) {
    super(`fixture instance id ${JSON.stringify(instanceId)} must match ${INSTANCE_ID}`);
    this.name = "FixtureIdError";
  }
}

export class FixtureCommitError extends Error {
  constructor(
    readonly instanceId: string,
    readonly dir: string,
    readonly stderr: string,
  ) {
    super(`making the base commit of ${instanceId} in ${dir} failed: ${stderr.trim()}`);
    this.name = "FixtureCommitError";
  }
}

function assertInstanceId(instanceId: string): void {
  if (!INSTANCE_ID.test(instanceId)) throw new FixtureIdError(instanceId);
}

/** The directory whose files are the repository tree at `base_commit`. */
export function fixtureRepoDir(instanceId: string): string {
  assertInstanceId(instanceId);
  return path.join(FIXTURES_DIR, "repos", instanceId);
}

/**
 * The shell line that turns the cwd (holding exactly the fixture's files) into a git repo whose
 * HEAD is the fixture's base commit. Self-contained: the env assignments are inline, so it can
 * be run as-is with `bash -c` in a container.
 */
export function baseCommitCommand(instanceId: string): string {
  assertInstanceId(instanceId);
  const env = Object.entries(FIXTURE_GIT_ENV)
    .map(([name, value]) => `${name}='${value}'`)
    .join(" ");
  const git = ["git", ...FIXTURE_GIT_CONFIG.flatMap((setting) => ["-c", setting])].join(" ");
  return `${git} init -q && ${git} add -A && ${env} ${git} commit -q -m '${instanceId} base'`;
}

/**
 * Copy a fixture's files into `destDir` (created if needed), make the base commit there and
 * return its sha. `destDir` must not already be a git repo.
 */
export async function createFixtureRepo(instanceId: string, destDir: string): Promise<string> {
  await mkdir(destDir, { recursive: true });
  await cp(fixtureRepoDir(instanceId), destDir, { recursive: true });
  try {
    await run("bash", ["-c", baseCommitCommand(instanceId)], { cwd: destDir });
    const { stdout } = await run("git", ["rev-parse", "HEAD"], { cwd: destDir });
    return stdout.trim();
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    throw new FixtureCommitError(instanceId, destDir, stderr);
  }
}
