import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Runs git in the host repository; a failure names the command and git's message. */
export async function hostGit(repo: string, args: string[], input?: string): Promise<string> {
  if (input === undefined) {
    try {
      const { stdout } = await run("git", ["-C", repo, ...args], { maxBuffer: 256 * 1024 * 1024 });
      return stdout;
    } catch (error) {
      throw new Error(`git ${args.join(" ")} in ${repo} failed: ${((error as { stderr?: string }).stderr ?? String(error)).trim()}`);
    }
  }
  return new Promise((resolve, reject) => {
    const child = spawn("git", ["-C", repo, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`git ${args.join(" ")} in ${repo} failed: ${stderr.trim() || `exit ${code}`}`)),
    );
    child.stdin.end(input);
  });
}

/** The top folder of the git repository holding `path`, or a clear error if there is none. */
export async function repoRoot(path: string): Promise<string> {
  if (!existsSync(path)) throw new Error(`${path} does not exist`);
  try {
    return (await hostGit(path, ["rev-parse", "--show-toplevel"])).trim();
  } catch {
    throw new Error(`${path} is not inside a git repository: bottega fix works on a git repository (run \`git init\` and commit first)`);
  }
}

/**
 * The repository as a tar archive: the files git sees (tracked and untracked, ignored ones left
 * out) as they are on disk now, and the .git folder.
 */
export async function repoArchive(root: string): Promise<Buffer> {
  const listed = (await hostGit(root, ["ls-files", "-co", "--exclude-standard", "-z"])).split("\0").filter(Boolean);
  // A tracked file deleted on disk is still listed; tar would fail on it.
  const files = [...new Set(listed)].filter((file) => existsSync(join(root, file)));
  return new Promise((resolve, reject) => {
    const tar = spawn("tar", ["-C", root, "--null", "-T", "-", "-cf", "-"], { stdio: ["pipe", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    let stderr = "";
    tar.stdout.on("data", (d: Buffer) => chunks.push(d));
    tar.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    tar.on("error", reject);
    tar.on("close", (code) =>
      code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`archiving ${root} failed: ${stderr.trim()}`)),
    );
    tar.stdin.end([".git", ...files].join("\0") + "\0");
  });
}

/** Paths a unified git diff touches (both sides of a rename). */
export function touchedPaths(patch: string): string[] {
  const paths = new Set<string>();
  for (const match of patch.matchAll(/^diff --git a\/(.+?) b\/(.+)$/gm)) {
    paths.add(match[1]!);
    paths.add(match[2]!);
  }
  return [...paths];
}
