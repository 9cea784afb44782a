import { randomBytes } from "node:crypto";
import { OutputCollector } from "./output-collector.ts";
import type { ExecOptions, ExecResult } from "./sandbox.ts";

/** Default output kept per exec: 8 MiB head + 8 MiB tail. */
export const DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;
/** After `timeout` should have fired, how long we wait before killing from outside. */
const KILL_GRACE_MS = 10_000;

/**
 * One exec's time limit and output cap, the same on every back end: coreutils `timeout` inside
 * the sandbox kills the command's process group (no back end can kill a remote command by
 * closing its stream), a backstop kills the group from outside if that fails, and the result
 * says whether the limit ended it.
 */
export class TimedCommand {
  readonly started = Date.now();
  readonly collector: OutputCollector;
  readonly timeoutSec: number | undefined;
  private readonly pidFile = `/tmp/.bottega-exec-${randomBytes(6).toString("hex")}.pid`;
  private killedFromOutside = false;

  constructor(options: ExecOptions) {
    const maxOutput = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    this.collector = new OutputCollector(Math.ceil(maxOutput / 2), Math.floor(maxOutput / 2));
    this.timeoutSec = options.timeoutMs ? Math.max(1, Math.ceil(options.timeoutMs / 1000)) : undefined;
  }

  /** `argv` under `timeout`, which puts itself in a new process group and signals all of it. */
  wrap(argv: string[]): string[] {
    return this.timeoutSec
      ? ["/bin/sh", "-c", 'echo $$ > "$0"; exec timeout -k 5 "$@"', this.pidFile, `${this.timeoutSec}s`, ...argv]
      : argv;
  }

  /** The shell line that kills the command's process group from a second exec. */
  killLine(): string {
    return `kill -KILL -- -"$(cat ${this.pidFile})" 2>/dev/null; rm -f ${this.pidFile}`;
  }

  /** The shell line that removes the pid file once the command is over (undefined: nothing to remove). */
  cleanupLine(): string | undefined {
    return this.timeoutSec ? `rm -f ${this.pidFile}` : undefined;
  }

  /** Calls `kill` if the command outlives its limit by the grace period; returns the disarm. */
  armBackstop(kill: () => void): () => void {
    if (!this.timeoutSec) return () => {};
    const timer = setTimeout(
      () => {
        this.killedFromOutside = true;
        kill();
      },
      this.timeoutSec * 1000 + KILL_GRACE_MS,
    );
    return () => clearTimeout(timer);
  }

  /** True once the backstop fired: a broken stream is then expected, not an error. */
  get killed(): boolean {
    return this.killedFromOutside;
  }

  result(exitCode: number | null): ExecResult {
    const durationMs = Date.now() - this.started;
    const timedOut =
      this.killedFromOutside ||
      (this.timeoutSec !== undefined && (exitCode === 124 || exitCode === 137) && durationMs >= this.timeoutSec * 1000 - 100);
    const raw = this.collector.bytes();
    return {
      exitCode: timedOut ? null : exitCode,
      raw,
      output: raw.toString("utf8"),
      timedOut,
      truncated: this.collector.truncated,
      totalBytes: this.collector.total,
      durationMs,
    };
  }
}
