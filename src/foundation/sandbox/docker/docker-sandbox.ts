import type { Duplex, Readable } from "node:stream";
import type Docker from "dockerode";
import { ContainerSpec } from "../container-spec.ts";
import { demuxDockerStream } from "./docker-stream.ts";
import { ContainerGoneError, engineError, isInfrastructureError, SandboxError, SandboxFileNotFound } from "../errors.ts";
import { liveContainers } from "../live-containers.ts";
import { currentOwner, LABELS } from "../owner.ts";
import type { ExecOptions, ExecResult, Sandbox, ShellOptions, ShellSession } from "../sandbox.ts";
import { packSingleFile, unpackSingleFile } from "../tar-file.ts";
import { PtyShell, SHELL_COMMAND } from "../pty-shell.ts";
import { TimedCommand } from "../timed-command.ts";
import { MemoryWatch } from "../memory-watch.ts";
import { DiskWatch } from "./disk-watch.ts";

export class DockerSandbox implements Sandbox {
  private removed = false;
  private removal?: Promise<void>;
  /**
   * Attach streams open on this container (commands, shells). Removing a container does not
   * always close them, and an open one would keep the process alive: remove() destroys them.
   */
  private readonly streams = new Set<{ destroy(): void }>();
  private readonly memory: MemoryWatch;
  private readonly disk: DiskWatch;

  private constructor(
    private readonly container: Docker.Container,
    readonly id: string,
    readonly spec: ContainerSpec,
    private readonly onRemoved?: (sandbox: DockerSandbox) => void,
  ) {
    const probe = (command: string) => this.exec(command, { timeoutMs: 30_000, maxOutputBytes: 4096 });
    this.memory = new MemoryWatch(probe, spec.memoryBytes);
    this.disk = new DiskWatch(container, probe, spec.diskBytes);
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
    const sandbox = new DockerSandbox(container, container.id, spec, onRemoved);
    liveContainers.add(sandbox);
    try {
      await container.start();
      sandbox.disk.start();
    } catch (error) {
      // The engine may be the thing that failed: the reaper removes what this cannot.
      await sandbox.remove().catch(() => undefined);
      throw engineError(error, `starting a container from ${spec.image}`, context);
    }
    return sandbox;
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    // Docker has no exec-kill API: the limit is enforced inside the container (TimedCommand).
    const timed = new TimedCommand(options);
    const context = { container: this.id, command };
    let stream: Readable;
    let exec: Docker.Exec;
    try {
      exec = await this.container.exec({
        Cmd: timed.wrap(["/bin/bash", "-c", command]),
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
    const disarm = timed.armBackstop(() => void this.execQuiet(timed.killLine()).finally(() => stream.destroy()));
    try {
      await demuxDockerStream(stream, (chunk) => timed.collector.push(chunk));
    } catch (error) {
      if (!timed.killed) throw engineError(error, "reading a command's output", context);
    } finally {
      disarm();
      tracked.release();
    }

    let exitCode: number | null = null;
    try {
      exitCode = (await exec.inspect()).ExitCode ?? null;
    } catch (error) {
      if (!timed.killed) throw engineError(error, "reading a command's exit code", context);
    }
    const result = timed.result(exitCode);
    const cleanup = timed.cleanupLine();
    if (cleanup) void this.execQuiet(cleanup);
    if (!result.timedOut) await this.memory.afterCommand(exitCode);
    return result;
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
    const whyEnded = () => this.whyGone("starting a shell session");
    // A command the kernel killed for memory shows as a SIGKILL (137) or as the shell dying.
    const afterCommand = (exitCode: number | null, shellDied: boolean) => this.memory.afterCommand(exitCode, shellDied);
    return PtyShell.open({ id: this.id, open, whyEnded, afterCommand }, this, options ?? {});
  }

  /** The typed error when the engine or the container went away under `what`; else undefined. */
  private async whyGone(what: string): Promise<Error | undefined> {
    try {
      const state = await this.container.inspect();
      if (state.State.Running) return undefined;
      return new ContainerGoneError(`${what}: the container stopped (${state.State.Status})`, { container: this.id });
    } catch (error) {
      const typed = engineError(error, what, { container: this.id });
      return isInfrastructureError(typed) ? typed : undefined;
    }
  }

  limitBreach() {
    return this.disk.current() ?? this.memory.current();
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

  /**
   * Removes the container. Every caller waits for the one removal (a run's clean-up and an
   * episode's own `finally` can ask at once): returning before the engine has answered would let
   * the process exit with the container still there.
   */
  remove(): Promise<void> {
    this.disk.stop();
    this.removal ??= this.removeOnce().catch((error: unknown) => {
      this.removal = undefined;
      throw error;
    });
    return this.removal;
  }

  private async removeOnce(): Promise<void> {
    this.removed = true;
    try {
      await this.container.remove({ force: true, v: true });
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      // 409: another client is removing it; it is ours only once it is gone.
      if (status === 409) await this.container.wait({ condition: "removed" }).catch(() => undefined);
      else if (status !== 404) {
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
