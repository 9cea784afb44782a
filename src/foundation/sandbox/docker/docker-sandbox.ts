import { randomBytes } from "node:crypto";
import type { Duplex, Readable } from "node:stream";
import type Docker from "dockerode";
import { ContainerSpec } from "../container-spec.ts";
import { demuxDockerStream } from "./docker-stream.ts";
import { SandboxError, SandboxFileNotFound } from "../errors.ts";
import { engineError } from "../errors.ts";
import { liveContainers } from "../live-containers.ts";
import { OutputCollector } from "../output-collector.ts";
import { currentOwner, LABELS } from "../owner.ts";
import type { ExecOptions, ExecResult, Sandbox, ShellOptions, ShellSession } from "../sandbox.ts";
import { packSingleFile, unpackSingleFile } from "../tar-file.ts";
import { PtyShell, SHELL_COMMAND } from "../pty-shell.ts";
import { LimitWatch } from "./limit-watch.ts";

/** Default output kept per exec: 8 MiB head + 8 MiB tail. */
const DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;
/** After `timeout` should have fired, how long we wait before killing from outside. */
const KILL_GRACE_MS = 10_000;

export class DockerSandbox implements Sandbox {
  private removed = false;
  /**
   * Attach streams open on this container (commands, shells). Removing a container does not
   * always close them, and an open one would keep the process alive: remove() destroys them.
   */
  private readonly streams = new Set<{ destroy(): void }>();
  private readonly limits: LimitWatch;

  private constructor(
    private readonly docker: Docker,
    private readonly container: Docker.Container,
    readonly id: string,
    readonly spec: ContainerSpec,
    private readonly onRemoved?: (sandbox: DockerSandbox) => void,
  ) {
    this.limits = new LimitWatch(container, (command) => this.exec(command, { timeoutMs: 30_000, maxOutputBytes: 4096 }), {
      memoryBytes: spec.memoryBytes,
      diskBytes: spec.diskBytes,
    });
  }

  /**
   * Creates and starts a long-lived container (`tail -f /dev/null`, as the official harness).
   * `onRemoved` is told when the container is removed (the back end's list of live sandboxes).
   */
  static async create(docker: Docker, input: ContainerSpec, onRemoved?: (sandbox: DockerSandbox) => void): Promise<DockerSandbox> {
    const spec = ContainerSpec.parse(input);
    const context = { image: spec.image, name: spec.name };
    let container: Docker.Container;
    try {
      container = await docker.createContainer({
        Image: spec.image,
        name: spec.name,
        Cmd: ["tail", "-f", "/dev/null"],
        Labels: { ...spec.labels, [LABELS.owner]: currentOwner() },
        WorkingDir: spec.workdir,
        User: spec.user,
        Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        platform: spec.platform,
        HostConfig: {
          // An init reaps the zombies that killed process groups leave behind, which would
          // otherwise count against the pids limit.
          Init: true,
          NetworkMode: spec.network,
          Memory: spec.memoryBytes,
          MemorySwap: spec.memoryBytes,
          PidsLimit: spec.pidsLimit,
          NanoCpus: spec.cpus ? Math.round(spec.cpus * 1e9) : undefined,
          CapDrop: spec.capDrop.length > 0 ? spec.capDrop : undefined,
          CapAdd: spec.capAdd.length > 0 ? spec.capAdd : undefined,
          SecurityOpt: spec.noNewPrivileges ? ["no-new-privileges"] : undefined,
        },
      } as Docker.ContainerCreateOptions);
    } catch (error) {
      throw engineError(error, `creating a container from ${spec.image}`, context);
    }
    const sandbox = new DockerSandbox(docker, container, container.id, spec, onRemoved);
    liveContainers.add(sandbox);
    try {
      await container.start();
    } catch (error) {
      await sandbox.remove();
      throw engineError(error, `starting a container from ${spec.image}`, context);
    }
    await sandbox.limits.start();
    return sandbox;
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const started = Date.now();
    const maxOutput = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    const collector = new OutputCollector(Math.ceil(maxOutput / 2), Math.floor(maxOutput / 2));
    const pidFile = `/tmp/.bottega-exec-${randomBytes(6).toString("hex")}.pid`;
    const timeoutSec = options.timeoutMs ? Math.max(1, Math.ceil(options.timeoutMs / 1000)) : undefined;
    // coreutils `timeout` puts itself in a new process group and signals the whole group, so
    // a command's children die with it inside the container (Docker has no exec-kill API).
    const cmd = timeoutSec
      ? ["/bin/sh", "-c", 'echo $$ > "$0"; exec timeout -k 5 "$@"', pidFile, `${timeoutSec}s`, "/bin/bash", "-c", command]
      : ["/bin/bash", "-c", command];
    const context = { container: this.id, command };
    let stream: Readable;
    let exec: Docker.Exec;
    try {
      exec = await this.container.exec({
        Cmd: cmd,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
        WorkingDir: options.cwd,
        User: options.user,
        Env: options.env ? Object.entries(options.env).map(([k, v]) => `${k}=${v}`) : undefined,
      });
      stream = (await exec.start({ hijack: true, stdin: false })) as unknown as Readable;
    } catch (error) {
      throw engineError(error, "starting a command", context);
    }
    const tracked = this.track(stream);

    let killedFromOutside = false;
    const backstop = timeoutSec
      ? setTimeout(
          () => {
            killedFromOutside = true;
            void this.killGroup(pidFile).finally(() => stream.destroy());
          },
          timeoutSec * 1000 + KILL_GRACE_MS,
        )
      : undefined;
    try {
      await demuxDockerStream(stream, (chunk) => collector.push(chunk));
    } catch (error) {
      if (!killedFromOutside) throw engineError(error, "reading a command's output", context);
    } finally {
      clearTimeout(backstop);
      tracked.release();
    }

    let exitCode: number | null = null;
    try {
      exitCode = (await exec.inspect()).ExitCode ?? null;
    } catch (error) {
      if (!killedFromOutside) throw engineError(error, "reading a command's exit code", context);
    }
    const durationMs = Date.now() - started;
    const timedOut =
      killedFromOutside || (timeoutSec !== undefined && (exitCode === 124 || exitCode === 137) && durationMs >= timeoutSec * 1000 - 100);
    if (timeoutSec) void this.execQuiet(`rm -f ${pidFile}`);
    if (!timedOut) await this.limits.afterCommand(exitCode);
    const raw = collector.bytes();
    return {
      exitCode: timedOut ? null : exitCode,
      raw,
      output: raw.toString("utf8"),
      timedOut,
      truncated: collector.truncated,
      totalBytes: collector.total,
      durationMs,
    };
  }

  /** Kills the process group whose leader wrote its pid to `pidFile`. */
  private async killGroup(pidFile: string): Promise<void> {
    await this.execQuiet(`kill -KILL -- -"$(cat ${pidFile})" 2>/dev/null; rm -f ${pidFile}`);
  }

  /** A command whose result does not matter (cleanup); never throws. */
  private async execQuiet(command: string): Promise<void> {
    try {
      const exec = await this.container.exec({ Cmd: ["/bin/sh", "-c", command], AttachStdout: true, AttachStderr: true });
      const stream = (await exec.start({ hijack: true, stdin: false })) as unknown as Readable;
      stream.resume();
      await new Promise((resolve) => stream.on("end", resolve).on("close", resolve).on("error", resolve));
    } catch {
      // Best effort: the container may already be gone.
    }
  }

  async openShell(options?: ShellOptions): Promise<ShellSession> {
    const open = async (env: Record<string, string>): Promise<Duplex> => {
      let stream: Duplex;
      try {
        const exec = await this.container.exec({
          Cmd: SHELL_COMMAND,
          AttachStdin: true,
          AttachStdout: true,
          AttachStderr: true,
          Tty: true,
          Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
        });
        stream = (await exec.start({ hijack: true, stdin: true, Tty: true } as Docker.ExecStartOptions)) as unknown as Duplex;
      } catch (error) {
        throw engineError(error, "starting a shell session", { container: this.id });
      }
      const tracked = this.track(stream);
      stream.on("close", () => tracked.release());
      return stream;
    };
    const shell = await PtyShell.open({ id: this.id, open }, this, options ?? {});
    // A command the kernel killed for memory shows as a SIGKILL (137) or as the shell dying.
    const run = shell.run.bind(shell);
    shell.run = async (command, runOptions) => {
      const result = await run(command, runOptions);
      if (!result.timedOut) await this.limits.afterCommand(result.exitCode, result.restarted);
      return result;
    };
    return shell;
  }

  limitBreach() {
    return this.limits.current();
  }

  /** Registers an attach stream to be destroyed when the sandbox is removed. */
  private track(stream: { destroy(): void }): { release(): void } {
    if (this.removed) stream.destroy();
    this.streams.add(stream);
    return { release: () => this.streams.delete(stream) };
  }

  async writeFile(path: string, content: string | Buffer, mode = 0o644): Promise<void> {
    if (!path.startsWith("/")) throw new SandboxError(`writeFile needs an absolute path, got "${path}"`, { container: this.id });
    // Entries are relative to "/", so the engine creates missing parent folders itself.
    const archive = packSingleFile(path.slice(1), Buffer.isBuffer(content) ? content : Buffer.from(content), mode);
    try {
      await this.container.putArchive(archive, { path: "/" });
    } catch (error) {
      throw engineError(error, `writing ${path}`, { container: this.id, path });
    }
  }

  async readFile(path: string): Promise<Buffer> {
    let archive: NodeJS.ReadableStream;
    try {
      archive = await this.container.getArchive({ path });
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 404) {
        const alive = await this.container.inspect().then(
          () => true,
          () => false,
        );
        if (alive) throw new SandboxFileNotFound(`no such file: ${path}`, { container: this.id, path });
      }
      throw engineError(error, `reading ${path}`, { container: this.id, path });
    }
    const file = await unpackSingleFile(archive);
    if (file === undefined) throw new SandboxError(`${path} is not a regular file`, { container: this.id, path });
    return file;
  }

  async remove(): Promise<void> {
    this.limits.stop();
    if (this.removed) return;
    this.removed = true;
    try {
      await this.container.remove({ force: true, v: true });
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      // 404: already gone; 409: removal already in progress.
      if (status !== 404 && status !== 409) {
        this.removed = false;
        throw engineError(error, "removing the container", { container: this.id });
      }
    } finally {
      if (this.removed) {
        liveContainers.delete(this);
        this.onRemoved?.(this);
        for (const stream of this.streams) stream.destroy();
        this.streams.clear();
      }
    }
  }
}
