/**
 * The sandbox seam: what the agent and the grader need from an isolated machine.
 * Docker is the first back end (docker-sandbox.ts); nothing above this interface knows which
 * back end runs it.
 */
export interface ExecOptions {
  /** Wall-clock limit; the command (and its process group) is killed inside the sandbox. */
  timeoutMs?: number;
  cwd?: string;
  env?: Record<string, string>;
  /** Bytes of output kept; the rest is counted and dropped while it streams. */
  maxOutputBytes?: number;
  user?: string;
}

export interface ExecResult {
  /** null when the command was killed for its timeout. */
  exitCode: number | null;
  /** stdout and stderr in arrival order, as raw bytes (possibly capped). */
  raw: Buffer;
  /** `raw` decoded as UTF-8, invalid bytes replaced. */
  output: string;
  timedOut: boolean;
  truncated: boolean;
  /** Total bytes the command produced, kept or not. */
  totalBytes: number;
  durationMs: number;
}

export interface Sandbox {
  readonly id: string;
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** Writes a file, creating its parent folders. */
  writeFile(path: string, content: string | Buffer, mode?: number): Promise<void>;
  /** Reads a file; rejects with SandboxFileNotFound when it does not exist. */
  readFile(path: string): Promise<Buffer>;
  /** Stops and removes the sandbox. Safe to call twice. */
  remove(): Promise<void>;
}
