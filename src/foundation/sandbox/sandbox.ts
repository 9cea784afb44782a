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

/** A resource limit the sandbox ran into: what the episode ends with, naming the limit. */
export interface LimitBreach {
  limit: "memory" | "disk";
  message: string;
}

export interface Sandbox {
  readonly id: string;
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** Writes a file, creating its parent folders. */
  writeFile(path: string, content: string | Buffer, mode?: number): Promise<void>;
  /** Reads a file; rejects with SandboxFileNotFound when it does not exist. */
  readFile(path: string): Promise<Buffer>;
  /** Starts a persistent shell session in the sandbox. */
  openShell(options?: ShellOptions): Promise<ShellSession>;
  /**
   * The first resource limit this sandbox ran into (a process killed for memory, the disk limit
   * reached), once the command that hit it has returned; undefined while none was.
   */
  limitBreach?(): LimitBreach | undefined;
  /** Stops and removes the sandbox. Safe to call twice. */
  remove(): Promise<void>;
}

export interface ShellOptions {
  /** Lines run once when the shell starts (activate an environment, cd to the repo, …). */
  init?: string[];
  env?: Record<string, string>;
}

export interface ShellResult {
  output: string;
  /** null when the command was interrupted for its timeout. */
  exitCode: number | null;
  timedOut: boolean;
  truncated: boolean;
  totalBytes: number;
  durationMs: number;
  /** The shell's working directory after the command. */
  cwd: string;
  /** The shell died during the command (e.g. `exit`) and was started again. */
  restarted: boolean;
  /** The caller's signal stopped the command (interrupted as Ctrl-C would; the session goes on). */
  interrupted?: boolean;
}

/**
 * A persistent shell inside the sandbox: cwd and exported variables survive between commands;
 * a command that outlives its timeout is interrupted as Ctrl-C would, and the session goes on.
 */
export interface ShellSession {
  run(command: string, options?: { timeoutMs?: number; maxOutputBytes?: number; signal?: AbortSignal | undefined }): Promise<ShellResult>;
  close(): Promise<void>;
}
