import { randomBytes } from "node:crypto";
import type { V1Pod } from "@kubernetes/client-node";
import type { ContainerSpec } from "../container-spec.ts";
import { ContainerGoneError, SandboxError, SandboxFileNotFound } from "../errors.ts";
import { liveContainers } from "../live-containers.ts";
import { TimedCommand } from "../timed-command.ts";
import type { ExecOptions, ExecResult, LimitBreach, Sandbox, ShellOptions, ShellSession } from "../sandbox.ts";
import { packSingleFile, unpackSingleFile } from "../tar-file.ts";
import { awaitPodRunning } from "./await-pod-running.ts";
import { createPodWithRetry } from "./create-pod.ts";
import { type ExecChannel, openExec } from "./exec-channel.ts";
import { openExecDuplex } from "./exec-duplex.ts";
import { kubeError } from "./kube-errors.ts";
import type { KubeConnection } from "./kube-connection.ts";
import { podManifest, podName, SANDBOX_CONTAINER } from "./pod-manifest.ts";
import type { PodTemplate } from "./pod-template.ts";
import { PtyShell } from "../pty-shell.ts";
import { formatBytes } from "../byte-size.ts";
import { MemoryWatch } from "../memory-watch.ts";

/** How long a pod may take to start (image pulls of multi-GB instance images included). */
const DEFAULT_START_TIMEOUT_MS = 15 * 60_000;

/**
 * Why the kubelet evicted a pod for ephemeral storage (the writable layer, logs and emptyDirs),
 * if it did: past the pod's own limit ("Pod ephemeral local storage usage exceeds the total
 * limit of containers 1Gi.", "Container sandbox exceeded its local ephemeral storage limit
 * "1Gi"."), which is the run's --disk, or because the node ran short ("The node was low on
 * resource: ephemeral-storage. …"), which is the node's failure, not the sandbox's.
 */
function diskEviction(pod: V1Pod): "limit" | "node" | undefined {
  if (pod.status?.reason !== "Evicted") return undefined;
  const message = pod.status.message ?? "";
  if (/(ephemeral local|local ephemeral) storage/i.test(message)) return "limit";
  if (/ephemeral-storage/i.test(message)) return "node";
  return undefined;
}

/** Single-quotes a string for /bin/sh. */
const shellQuote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

export interface KubernetesSandboxOptions {
  template?: PodTemplate;
  activeDeadlineSeconds?: number;
  startTimeoutMs?: number;
  /** Told when the pod is deleted (the back end's list of live sandboxes). */
  onRemoved?: (sandbox: KubernetesSandbox) => void;
}

/**
 * A sandbox as a Kubernetes pod: created from the instance image, commands through the exec
 * API, files as tar archives streamed over exec, time limits enforced inside the pod (closing
 * the socket does not stop a remote command), and deletion when done.
 */
export class KubernetesSandbox implements Sandbox {
  private removed = false;
  private removal?: Promise<void>;
  /** The disk limit's breach, once the kubelet evicted the pod past it. */
  private breach: LimitBreach | undefined;
  private readonly memory: MemoryWatch;
  /** Exec streams open on this pod: remove() closes them so none keeps the process alive. */
  private readonly channels = new Set<{ close(): void }>();

  private constructor(
    private readonly kube: KubeConnection,
    readonly id: string,
    readonly spec: ContainerSpec,
    private readonly onRemoved?: (sandbox: KubernetesSandbox) => void,
  ) {
    this.memory = new MemoryWatch((command) => this.exec(command, { timeoutMs: 30_000, maxOutputBytes: 4096 }), spec.memoryBytes);
  }

  /** The pod's name (the sandbox id). */
  get podName(): string {
    return this.id;
  }

  static async create(kube: KubeConnection, spec: ContainerSpec, options: KubernetesSandboxOptions = {}): Promise<KubernetesSandbox> {
    const suffix = () => randomBytes(3).toString("hex");
    const nonce = randomBytes(8).toString("hex");
    const manifest = podManifest(spec, {
      namespace: kube.namespace,
      name: podName(spec.labels ?? {}, suffix()),
      nonce,
      template: options.template,
      activeDeadlineSeconds: options.activeDeadlineSeconds,
    });
    const created = await createPodWithRetry(kube, manifest, () => podName(spec.labels ?? {}, suffix()));
    const sandbox = new KubernetesSandbox(kube, created.metadata!.name!, spec, options.onRemoved);
    liveContainers.add(sandbox);
    try {
      await awaitPodRunning(kube, created, options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
    } catch (error) {
      await sandbox.remove().catch(() => {});
      throw error;
    }
    return sandbox;
  }

  private get target() {
    return { namespace: this.kube.namespace, pod: this.id, container: SANDBOX_CONTAINER };
  }

  /**
   * When a command could not run or ended without a status, whether the pod itself is gone
   * (deleted, evicted, past its deadline, container stopped): then the failure is the
   * infrastructure's, ContainerGoneError, and the instance is retried like a dead container.
   * An eviction for disk says so, naming the limit, even when the exec API already said the
   * pod was gone ("completed pod"), since that alone would not tell why.
   */
  private async explain(error: unknown): Promise<Error> {
    const pod = await this.kube.api
      .readNamespacedPod({ name: this.id, namespace: this.kube.namespace })
      .catch((e: { code?: number }) => (e.code === 404 ? null : undefined));
    const running =
      pod?.status?.phase === "Running" &&
      pod.status.containerStatuses?.[0]?.state?.running !== undefined &&
      !pod.metadata?.deletionTimestamp;
    const eviction = pod ? diskEviction(pod) : undefined;
    if (pod && eviction) {
      const limit = pod.spec?.containers?.[0]?.resources?.limits?.["ephemeral-storage"];
      // A template's limit wins over --disk (pod-manifest.ts): name the one the pod had.
      const fromFlag = this.spec.diskBytes !== undefined && limit === String(this.spec.diskBytes);
      const shown = fromFlag ? `${formatBytes(this.spec.diskBytes!)}, set by --disk` : `${limit ?? "unknown"}, set by the pod template`;
      const why =
        eviction === "limit"
          ? `it wrote past its disk limit (ephemeral-storage ${shown})`
          : "its node ran short of disk (ephemeral-storage)";
      const message = `pod ${this.id} was evicted under the command: ${why}: ${pod.status?.message?.trim()}`;
      // The pod's own limit is the episode's end (exit_disk), as on Docker; a node short of disk is not.
      if (eviction === "limit") this.breach ??= { limit: "disk", message };
      return new ContainerGoneError(message, { pod: this.id, reason: "Evicted" }, { cause: error });
    }
    // The runtime says OOMKilled of a container that ended after any kill for memory in it; past
    // its deadline, the pod's own reason is why it ended.
    const terminated = pod?.status?.containerStatuses?.[0]?.state?.terminated;
    if (pod && terminated?.reason === "OOMKilled" && pod.status?.reason !== "DeadlineExceeded") {
      this.memory.killed();
      const limit = pod.spec?.containers?.[0]?.resources?.limits?.memory;
      return new ContainerGoneError(
        `pod ${this.id}'s container was killed for memory under the command (limit ${limit ?? "unknown"}, set by --memory)`,
        { pod: this.id, reason: "OOMKilled" },
        { cause: error },
      );
    }
    if (error instanceof ContainerGoneError) return error;
    if (pod === null || (pod !== undefined && !running)) {
      const state = pod ? `phase ${pod.status?.phase}${pod.status?.reason ? `, ${pod.status.reason}` : ""}` : "deleted";
      return new ContainerGoneError(
        `pod ${this.id} stopped under the command (${state}): ${(error as Error).message}`,
        { pod: this.id },
        { cause: error },
      );
    }
    return error as Error;
  }

  /** Opens an exec stream, tracked so remove() can close it. */
  private async open(command: string[], options: { stdin?: boolean; onOutput: (data: Buffer) => void }): Promise<ExecChannel> {
    if (this.removed) throw new SandboxError(`pod ${this.id} has been removed`, { pod: this.id });
    const channel = await openExec(this.kube.config, this.target, command, options).catch(async (error: unknown) => {
      throw await this.explain(error);
    });
    this.channels.add(channel);
    void channel.exited.finally(() => this.channels.delete(channel)).catch(() => {});
    return channel;
  }

  /**
   * The argv that runs `command` with the options the exec API lacks (cwd, env, user) and,
   * with a timeout, under coreutils `timeout` in its own process group whose id goes to
   * `pidFile`, so the command and its children die inside the pod.
   */
  private argv(command: string, options: ExecOptions): string[] {
    let argv = ["/bin/bash", "-c", command];
    if (options.env && Object.keys(options.env).length > 0)
      argv = ["env", ...Object.entries(options.env).map(([k, v]) => `${k}=${v}`), ...argv];
    const podUser = this.spec.user ?? "root";
    if (options.user && options.user !== podUser) argv = ["runuser", "-u", options.user, "--", ...argv];
    if (options.cwd ?? this.spec.workdir) argv = ["/bin/sh", "-c", 'cd "$0" && exec "$@"', (options.cwd ?? this.spec.workdir)!, ...argv];
    return argv;
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    // Closing the socket does not kill a remote command: the limit is enforced inside the pod.
    const timed = new TimedCommand(options);
    const channel = await this.open(timed.wrap(this.argv(command, options)), { onOutput: (data) => timed.collector.push(data) });
    const disarm = timed.armBackstop(() => void this.execQuiet(timed.killLine()).finally(() => channel.close()));
    let exitCode: number | null = null;
    try {
      exitCode = await channel.exited;
    } catch (error) {
      if (!timed.killed) {
        throw this.removed
          ? new SandboxError(`pod ${this.id} was removed while a command ran`, { pod: this.id, command }, { cause: error })
          : await this.explain(error);
      }
    } finally {
      disarm();
    }
    const cleanup = timed.cleanupLine();
    if (cleanup) void this.execQuiet(cleanup);
    const result = timed.result(exitCode);
    if (!result.timedOut) await this.memory.afterCommand(exitCode);
    return result;
  }

  /** A command whose result does not matter (cleanup); never throws. */
  private async execQuiet(command: string): Promise<void> {
    try {
      const channel = await this.open(["/bin/sh", "-c", command], { onOutput: () => {} });
      await channel.exited;
    } catch {
      // Best effort: the pod may already be gone.
    }
  }

  /**
   * Runs `command` with `input` on its stdin, output kept whole (file transfers). The input
   * is framed by its length (`head -c`), so it works on v4 servers, which cannot close stdin.
   */
  private async transfer(command: string, input: Buffer | undefined): Promise<{ exitCode: number; output: Buffer }> {
    const chunks: Buffer[] = [];
    const argv = input ? ["/bin/sh", "-c", `head -c ${input.length} | { ${command}; }`] : ["/bin/sh", "-c", command];
    const channel = await this.open(argv, { stdin: input !== undefined, onOutput: (data) => chunks.push(data) });
    if (input) {
      // Slices keep each WebSocket message moderate.
      for (let at = 0; at < input.length; at += 256 * 1024) channel.write(input.subarray(at, at + 256 * 1024));
      channel.endInput();
    }
    const exitCode = await channel.exited.catch(async (error: unknown) => {
      throw await this.explain(error);
    });
    const output = Buffer.concat(chunks);
    // A transfer that failed because the container stopped is the pod's failure, not the file's.
    if (exitCode !== 0 && exitCode !== 3) {
      const gone = await this.explain(new SandboxError(output.toString().trim() || `exit code ${exitCode}`, { pod: this.id }));
      if (gone instanceof ContainerGoneError) throw gone;
    }
    return { exitCode, output };
  }

  async writeFile(path: string, content: string | Buffer, mode = 0o644): Promise<void> {
    if (!path.startsWith("/")) throw new SandboxError(`writeFile needs an absolute path, got "${path}"`, { pod: this.id });
    const archive = packSingleFile(path.slice(1), Buffer.isBuffer(content) ? content : Buffer.from(content), mode);
    const chunks: Buffer[] = [];
    for await (const chunk of archive) chunks.push(chunk as Buffer);
    // Entries are relative to "/": tar creates missing parent folders itself.
    const result = await this.transfer("tar -x -p -f - -C /", Buffer.concat(chunks)).catch((error: unknown) => {
      throw kubeError(error, `writing ${path}`, { pod: this.id, path });
    });
    if (result.exitCode !== 0)
      throw new SandboxError(`writing ${path} in pod ${this.id} failed: ${result.output.toString().trim()}`, { pod: this.id, path });
  }

  async readFile(path: string): Promise<Buffer> {
    const slash = path.lastIndexOf("/");
    const dir = slash > 0 ? path.slice(0, slash) : "/";
    const name = path.slice(slash + 1);
    // Exit 3 marks a missing file, so tar's own errors are not mistaken for one.
    const command = `[ -e ${shellQuote(path)} ] || exit 3; exec tar -c -f - -C ${shellQuote(dir)} -- ${shellQuote(name)} 2>/dev/null`;
    const result = await this.transfer(command, undefined).catch((error: unknown) => {
      throw kubeError(error, `reading ${path}`, { pod: this.id, path });
    });
    if (result.exitCode === 3) throw new SandboxFileNotFound(`no such file: ${path}`, { pod: this.id, path });
    if (result.exitCode !== 0)
      throw new SandboxError(`reading ${path} in pod ${this.id} failed (tar exited ${result.exitCode})`, { pod: this.id, path });
    const { Readable } = await import("node:stream");
    const file = await unpackSingleFile(Readable.from([result.output]));
    if (file === undefined) throw new SandboxError(`${path} is not a regular file`, { pod: this.id, path });
    return file;
  }

  openShell(options?: ShellOptions): Promise<ShellSession> {
    return PtyShell.open(
      {
        id: this.id,
        open: async (env) => {
          const duplex = await openExecDuplex(this.kube.config, this.target, [
            "env",
            ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
            "bash",
            "--norc",
            "--noprofile",
            "--noediting",
            "-i",
          ]);
          const tracked = { close: () => duplex.destroy() };
          this.channels.add(tracked);
          duplex.on("close", () => this.channels.delete(tracked));
          return duplex;
        },
        whyEnded: async () => {
          const why = await this.explain(new SandboxError("starting a shell session: the shell exited during its setup", { pod: this.id }));
          return why instanceof ContainerGoneError ? why : undefined;
        },
        afterCommand: (exitCode, shellDied) => this.memory.afterCommand(exitCode, shellDied),
      },
      this,
      options ?? {},
    );
  }

  /** The disk limit, once the kubelet evicted the pod past it, or the memory limit, once a process was killed for it. */
  limitBreach(): LimitBreach | undefined {
    return this.breach ?? this.memory.current();
  }

  /** Deletes the pod; every caller waits for the one deletion (see DockerSandbox.remove). */
  remove(): Promise<void> {
    this.removal ??= this.removeOnce().catch((error: unknown) => {
      this.removal = undefined;
      throw error;
    });
    return this.removal;
  }

  private async removeOnce(): Promise<void> {
    this.removed = true;
    try {
      await this.kube.api.deleteNamespacedPod({ name: this.id, namespace: this.kube.namespace });
    } catch (error) {
      const status = (error as { code?: number }).code;
      if (status !== 404) {
        this.removed = false;
        throw kubeError(error, `deleting pod ${this.id}`, { pod: this.id });
      }
    } finally {
      if (this.removed) {
        liveContainers.delete(this);
        this.onRemoved?.(this);
        for (const channel of this.channels) channel.close();
        this.channels.clear();
      }
    }
  }
}
