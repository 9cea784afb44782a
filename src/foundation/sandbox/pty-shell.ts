import { randomBytes } from "node:crypto";
import { dirname } from "node:path";
import type { Duplex } from "node:stream";
import { SandboxError } from "./errors.ts";
import { OutputCollector } from "./output-collector.ts";
import type { Sandbox, ShellOptions, ShellResult, ShellSession } from "./sandbox.ts";

const DEFAULT_MAX_OUTPUT = 1024 * 1024;
/** After Ctrl-C, how long the shell gets to come back before its children are killed. */
const INTERRUPT_GRACE_MS = 3000;
/** Bytes held back from the output while looking for the end marker (marker + a long cwd). */
const HOLD_BACK = 8192;

/**
 * Settings every session gets. An interactive bash on a pty is what makes Ctrl-C abort a whole
 * command line (loops included) while the shell survives, as in SWE-agent's pexpect shell;
 * echo, prompts, history expansion and colours are turned off so the output is the command's.
 */
const SESSION_SETUP = [
  "stty -echo -onlcr",
  // Reset before every prompt: activating an environment (conda, venv) prepends to PS1.
  "PS1=''; PS2=''; PS0=''; PROMPT_COMMAND='PS1=; PS2=; PS0='",
  "set +m +H",
  "export TERM=dumb PAGER=cat MANPAGER=cat GIT_PAGER=cat LESS=-R PIP_PROGRESS_BAR=off TQDM_DISABLE=1",
];

/** Longest line sent through the pty: its canonical-mode line buffer holds 4096 bytes. */
const TTY_LINE = 2048;

/**
 * Shell lines that write `text` to `file` using only printable ASCII on the wire: bytes other
 * than printable ASCII (and ' and \) travel as \xHH escapes that bash's printf %b decodes, in
 * lines short enough for the pty, so no byte can act as a terminal control character.
 */
function writeThroughTty(text: string, file: string): string {
  // `[` is a builtin: no process is started unless the folder went missing (say, rm -rf /tmp/*).
  const lines = [`[ -d ${dirname(file)} ] || mkdir -p ${dirname(file)}; : > ${file}`];
  let chunk = "";
  for (const byte of Buffer.from(text, "utf8")) {
    chunk +=
      byte >= 0x20 && byte < 0x7f && byte !== 0x27 && byte !== 0x5c
        ? String.fromCharCode(byte)
        : `\\x${byte.toString(16).padStart(2, "0")}`;
    if (chunk.length >= TTY_LINE) {
      lines.push(`printf '%b' '${chunk}' >> ${file}`);
      chunk = "";
    }
  }
  if (chunk) lines.push(`printf '%b' '${chunk}' >> ${file}`);
  return lines.join("\n");
}

interface Waiter {
  nonce: string;
  resolve: (marker: { exitCode: number; cwd: string } | undefined) => void;
}

/**
 * How a back end starts the shell: `bash --norc --noprofile --noediting -i` on a terminal in
 * the sandbox, with `env` in its environment, as a stream of the terminal's bytes (a Docker
 * exec attach, a Kubernetes exec WebSocket).
 */
export interface ShellTransport {
  /** The sandbox's id, for error messages. */
  readonly id: string;
  open(env: Record<string, string>): Promise<Duplex>;
  /**
   * Why a shell ended before it could be used: the typed error when the machine failed (the
   * engine went away, the container or pod stopped), so the caller retries; else undefined.
   */
  whyEnded(): Promise<Error | undefined>;
  /** Told how each command that did not time out ended (a limit watch asks why a command was killed). */
  afterCommand?(exitCode: number | null, shellDied: boolean): Promise<void>;
}

/** The command line every back end starts the session with. */
export const SHELL_COMMAND = ["bash", "--norc", "--noprofile", "--noediting", "-i"];

/** A persistent bash session in a sandbox, driven through a pty. */
export class PtyShell implements ShellSession {
  private stream!: Duplex;
  private pending: Buffer = Buffer.alloc(0);
  private collector?: OutputCollector;
  private waiter?: Waiter;
  private alive = false;
  private cwd = "/";
  private commandCount = 0;
  private lastDataAt = 0;

  private constructor(
    private readonly transport: ShellTransport,
    private readonly sandbox: Sandbox,
    private readonly options: ShellOptions,
  ) {}

  static async open(transport: ShellTransport, sandbox: Sandbox, options: ShellOptions): Promise<PtyShell> {
    const shell = new PtyShell(transport, sandbox, options);
    await shell.start(options.init ?? []);
    return shell;
  }

  private async start(init: string[]): Promise<void> {
    try {
      this.stream = await this.transport.open({ TERM: "dumb", ...this.options.env });
    } catch (error) {
      // Transports map their own failures to typed errors (engine gone, pod gone).
      if (error instanceof SandboxError) throw error;
      throw new SandboxError(`starting a shell session: ${(error as Error).message}`, { container: this.transport.id }, { cause: error });
    }
    this.alive = true;
    this.pending = Buffer.alloc(0);
    this.stream.on("data", (chunk: Buffer) => this.onData(chunk));
    const ended = () => {
      this.alive = false;
      this.waiter?.resolve(undefined);
      this.waiter = undefined;
    };
    this.stream.on("end", ended);
    this.stream.on("close", ended);
    this.stream.on("error", ended);
    // Everything the shell prints before the first marker (the echoed setup line, a prompt)
    // is discarded.
    this.collector = new OutputCollector(0, 0);
    const marker = await this.sendAndWait([...SESSION_SETUP, ...init].join("; "), 60_000);
    if (!marker) {
      const cause = await this.transport.whyEnded();
      if (cause) throw cause;
      throw new SandboxError("starting a shell session: the shell exited during its setup", { container: this.transport.id, init });
    }
    this.cwd = marker.cwd;
  }

  private onData(chunk: Buffer): void {
    this.lastDataAt = Date.now();
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const waiter = this.waiter;
    if (!waiter) {
      this.pending = this.pending.subarray(Math.max(0, this.pending.length - HOLD_BACK));
      return;
    }
    const prefix = Buffer.from(`\n__BOTTEGA_DONE_${waiter.nonce} `);
    const at = this.pending.indexOf(prefix);
    if (at >= 0) {
      const end = this.pending.indexOf(0x0a, at + prefix.length);
      if (end < 0) return;
      this.collector?.push(this.pending.subarray(0, at));
      const [code, ...cwd] = this.pending
        .subarray(at + prefix.length, end)
        .toString()
        .split(" ");
      this.pending = this.pending.subarray(end + 1);
      this.waiter = undefined;
      waiter.resolve({ exitCode: Number(code), cwd: cwd.join(" ") });
      return;
    }
    const commit = this.pending.length - HOLD_BACK;
    if (commit > 0) {
      this.collector?.push(this.pending.subarray(0, commit));
      this.pending = Buffer.from(this.pending.subarray(commit));
    }
  }

  /** Sends one line and waits for its marker, or until timeoutMs (then resolves undefined). */
  private sendAndWait(line: string, timeoutMs: number, signal?: AbortSignal): Promise<{ exitCode: number; cwd: string } | undefined> {
    const nonce = randomBytes(8).toString("hex");
    return new Promise((resolve) => {
      const giveUp = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", giveUp);
        if (this.waiter?.nonce === nonce) this.waiter = undefined;
        resolve(undefined);
      };
      const timer = setTimeout(giveUp, timeoutMs);
      signal?.addEventListener("abort", giveUp, { once: true });
      this.waiter = {
        nonce,
        resolve: (marker) => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", giveUp);
          resolve(marker);
        },
      };
      // The marker starts with a newline so it is found even after output with none.
      this.stream.write(`${line}\nprintf '\\n__BOTTEGA_DONE_${nonce} %s %s\\n' "$?" "$PWD"\n`);
    });
  }

  async run(
    command: string,
    options: { timeoutMs?: number; maxOutputBytes?: number; signal?: AbortSignal | undefined } = {},
  ): Promise<ShellResult> {
    const started = Date.now();
    if (!this.alive) await this.restart();
    const max = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    const collector = new OutputCollector(Math.ceil(max / 2), Math.floor(max / 2));
    this.collector = collector;
    // The command goes in a file and is sourced: no quoting problems, and it runs in this
    // shell, so `cd` and `export` persist; stdin is /dev/null so nothing can read the session's
    // own input. The file is written through the pty itself (a tar upload costs ~35 ms).
    const file = `/tmp/.bottega-shell/cmd-${++this.commandCount}.sh`;
    if (options.signal?.aborted) {
      return {
        output: "",
        exitCode: null,
        timedOut: false,
        interrupted: true,
        truncated: false,
        totalBytes: 0,
        durationMs: 0,
        cwd: this.cwd,
        restarted: false,
      };
    }
    let marker = await this.sendAndWait(
      `${writeThroughTty(command, file)}\nsource ${file} </dev/null`,
      options.timeoutMs ?? 2 ** 31 - 1,
      options.signal,
    );
    let timedOut = false;
    let restarted = false;
    const interrupted = options.signal?.aborted === true;
    if (interrupted && !marker && this.alive) {
      marker = await this.interrupt();
      if (!marker) {
        await this.restart();
        restarted = true;
      }
    } else if (!marker && this.alive) {
      timedOut = true;
      marker = await this.interrupt();
      if (!marker) {
        await this.restart();
        restarted = true;
      }
    } else if (!marker) {
      await this.restart();
      restarted = true;
    }
    if (marker) this.cwd = marker.cwd;
    if (marker && (timedOut || interrupted)) await this.drainStragglers();
    const bytes = collector.bytes();
    const output = bytes.toString("utf8");
    this.collector = undefined;
    const exitCode = timedOut || interrupted || !marker ? null : marker.exitCode;
    if (!timedOut) await this.transport.afterCommand?.(exitCode, restarted);
    return {
      output,
      exitCode,
      timedOut,
      interrupted,
      truncated: collector.truncated,
      totalBytes: collector.total,
      durationMs: Date.now() - started,
      cwd: this.cwd,
      restarted,
    };
  }

  /** Ctrl-C, then, if the shell does not come back, SIGKILL to everything in its session but itself. */
  private async interrupt(): Promise<{ exitCode: number; cwd: string } | undefined> {
    this.stream.write("\x03");
    const marker = await this.sendAndWait("", INTERRUPT_GRACE_MS);
    if (marker || !this.alive) return marker;
    await this.sandbox.exec(
      `for s in $(ps -eo pid=,args= | awk '/bash --norc --noprofile --noediting -i/ {print $1}'); do ` +
        `ps -eo pid=,sid= | awk -v s=$s '$2==s && $1!=s {print $1}' | xargs -r kill -KILL; done`,
    );
    return this.sendAndWait("", INTERRUPT_GRACE_MS);
  }

  /**
   * After a stopped command the shell answers at once, but processes it started may still be
   * dying and printing (a fork bomb's "fork: Interrupted system call"): that output belongs to
   * no command. Wait until the terminal is quiet (bounded), then drop what came.
   */
  private async drainStragglers(quietMs = 200, maxMs = 3_000): Promise<void> {
    this.collector = undefined;
    const until = Date.now() + maxMs;
    while (Date.now() < until && Date.now() - this.lastDataAt < quietMs) await new Promise((resolve) => setTimeout(resolve, 50));
    this.pending = Buffer.alloc(0);
  }

  /** A fresh shell in the last known directory (exported variables are lost). */
  private async restart(): Promise<void> {
    this.stream?.destroy();
    await this.start([...(this.options.init ?? []), `cd ${JSON.stringify(this.cwd)}`]);
  }

  async close(): Promise<void> {
    this.alive = false;
    this.stream?.end("exit\n");
    this.stream?.destroy();
  }
}
