import { randomBytes } from "node:crypto";
import type { Sandbox } from "../../src/foundation/sandbox/sandbox.ts";
import type { ToolContext } from "./tool.ts";
import { shellQuote } from "./shell-quote.ts";

/**
 * The filesystem questions the file tools ask the sandbox. They run on the host and only send
 * small shell commands into the sandbox, so the task image needs no Python of ours.
 */
export type PathKind = "directory" | "file" | "missing";

export interface PathProbe {
  kind: PathKind;
  /** Where reads and writes go: symlinks resolved, as Python's open() follows them. */
  target: string;
  parentExists: boolean;
}

/** A sandbox command for the file tools that did not run (not a command that reported failure). */
export class SandboxFsError extends Error {
  constructor(
    message: string,
    readonly context: { path: string; output?: string },
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Runs `script` with the given words as "$1", "$2", … */
export function withArgs(script: string, ...args: string[]): string {
  return `set -- ${args.map(shellQuote).join(" ")}; ${script}`;
}

export async function probePath(sandbox: Sandbox, path: string, parent: string): Promise<PathProbe> {
  const script = [
    `if [ -d "$1" ]; then printf 'directory\\0'; elif [ -e "$1" ]; then printf 'file\\0%s\\0' "$(readlink -f -- "$1")"; else printf 'missing\\0'; fi`,
    `if [ -e "$2" ]; then printf 'parent\\0'; else printf 'noparent\\0'; fi`,
  ].join("; ");
  const result = await sandbox.exec(withArgs(script, path, parent), { timeoutMs: 30_000 });
  const fields = result.output.split("\0");
  const kind = fields[0] as PathKind;
  if (result.exitCode !== 0 || !["directory", "file", "missing"].includes(kind)) {
    throw new SandboxFsError(`could not inspect ${path} in the sandbox`, { path, output: result.output });
  }
  const target = kind === "file" && fields[1] ? fields[1] : path;
  return { kind, target, parentExists: fields[fields.length - 2] === "parent" };
}

/** A write the sandbox refused; the message reads like Python's OSError. */
export class FileWriteError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

// errno numbers for the refusals a shell redirection reports, to phrase them as Python would.
const ERRNO: Record<string, number> = {
  "No such file or directory": 2,
  "Permission denied": 13,
  "Not a directory": 20,
  "Is a directory": 21,
  "No space left on device": 28,
  "Read-only file system": 30,
};

/**
 * Replaces a file's content in place. The bytes go to a temporary file first and are then
 * copied over the target with a shell redirection, which keeps the target's inode, mode, owner
 * and symlinks, as Python's `open(path, "w")` does; a tar upload would replace the file.
 */
export async function writeSandboxFile(sandbox: Sandbox, path: string, content: Buffer): Promise<void> {
  const temp = `/tmp/.bottega-edit-${randomBytes(6).toString("hex")}`;
  await sandbox.writeFile(temp, content, 0o600);
  const result = await sandbox.exec(withArgs(`cat -- "$1" > "$2"; rc=$?; rm -f -- "$1"; exit $rc`, temp, path), { timeoutMs: 60_000 });
  if (result.exitCode === 0) return;
  const reason = Object.keys(ERRNO).find((text) => result.output.includes(text));
  const message = reason ? `[Errno ${ERRNO[reason]}] ${reason}: '${path}'` : result.output.trim() || `exit code ${result.exitCode}`;
  throw new FileWriteError(message, path);
}

/**
 * The directory the agent's shell is in (physical, like Python's `Path.cwd()`), which is where
 * SWE-agent's tools resolve relative paths. Falls back to the repository root.
 */
export async function shellWorkingDirectory(context: ToolContext): Promise<string> {
  try {
    const outcome = await context.shell("pwd -P", { timeoutMs: 10_000 });
    const line = outcome.output
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.startsWith("/"))
      .pop();
    if (outcome.exitCode === 0 && line) return line;
  } catch {
    // A shell that cannot answer should not break a file tool; the repository root is the
    // directory episodes start in.
  }
  return context.repoRoot;
}
