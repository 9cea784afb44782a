import type Docker from "dockerode";
import type { LimitBreach } from "../sandbox.ts";

/** How often the writable layer's size is read while a disk limit is set. */
const DISK_POLL_MS = 2_000;

/**
 * The kernel's count of processes it killed for memory in this container's cgroup (v1 and v2
 * spell it differently); read from inside, so it needs no access to the host's cgroup tree.
 */
const OOM_KILLS =
  "cat /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory/memory.oom_control 2>/dev/null | awk '$1 == \"oom_kill\" { n += $2 } END { print n + 0 }'";

/**
 * Stops every process of the container but its init and the keep-alive `tail`, so that what
 * grows the disk stops while the container (and the agent's work in it) stays readable.
 */
const STOP_ALL_COMMANDS =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
  'for p in /proc/[0-9]*; do pid=${p#/proc/}; [ "$pid" = 1 ] || [ "$pid" = "$$" ] && continue; ' +
  '[ "$(cat $p/comm 2>/dev/null)" = tail ] && [ "$(cat $p/stat 2>/dev/null | cut -d" " -f4)" = 1 ] && continue; kill -9 "$pid" 2>/dev/null; done; true';

const formatBytes = (bytes: number) => (bytes >= 2 ** 30 ? `${+(bytes / 2 ** 30).toFixed(1)} GiB` : `${+(bytes / 2 ** 20).toFixed(1)} MiB`);

/**
 * Watches one container's memory and disk limits. Memory: the engine enforces the limit and the
 * kernel kills a process; a command that died by SIGKILL makes us read the cgroup's kill count.
 * Disk: overlay2 on ext4 has no size option, so the writable layer is measured every few
 * seconds and, past the limit, every command is stopped.
 */
export class LimitWatch {
  private breach: LimitBreach | undefined;

  private poller: NodeJS.Timeout | undefined;
  private polling = false;
  private checkingMemory = false;

  constructor(
    private readonly container: Docker.Container,
    private readonly run: (command: string) => Promise<{ output: string; exitCode: number | null }>,
    private readonly limits: { memoryBytes?: number; diskBytes?: number },
  ) {}

  /**
   * Starts watching. A new container's memory cgroup is its own and starts at no kills (cgroup v1
   * bind-mounts it, v2 gives it a namespace), so no baseline is read: an exec per container would
   * queue in the engine behind every other start when a run starts 64 at once.
   */
  start(): void {
    if (this.limits.diskBytes) {
      this.poller = setInterval(() => void this.pollDisk(), DISK_POLL_MS);
      this.poller.unref();
    }
  }

  stop(): void {
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
  }

  current(): LimitBreach | undefined {
    return this.breach;
  }

  /** After a command: one killed by SIGKILL (137) or whose shell died may have met the memory limit. */
  async afterCommand(exitCode: number | null, shellDied = false): Promise<void> {
    if (this.breach || this.checkingMemory || !this.limits.memoryBytes || (exitCode !== 137 && !shellDied)) return;
    this.checkingMemory = true;
    const kills = await this.oomKills().finally(() => (this.checkingMemory = false));
    if (kills > 0) {
      this.breach = {
        limit: "memory",
        message: `a process was killed for memory: the sandbox's limit is ${formatBytes(this.limits.memoryBytes)} (--memory)`,
      };
    }
  }

  private async oomKills(): Promise<number> {
    const result = await this.run(OOM_KILLS).catch(() => ({ output: "0", exitCode: 1 }));
    return Number.parseInt(result.output.trim(), 10) || 0;
  }

  private async pollDisk(): Promise<void> {
    if (this.polling || this.breach || !this.limits.diskBytes) return;
    this.polling = true;
    try {
      const info = (await this.container.inspect({ size: true } as never)) as unknown as { SizeRw?: number };
      const used = info.SizeRw ?? 0;
      if (used > this.limits.diskBytes) {
        this.breach = {
          limit: "disk",
          message: `the sandbox wrote ${formatBytes(used)}, over its disk limit of ${formatBytes(this.limits.diskBytes)} (--disk); its commands were stopped`,
        };
        await this.run(STOP_ALL_COMMANDS).catch(() => undefined);
      }
    } catch {
      // A container being removed cannot be measured; the next poll (if any) tries again.
    } finally {
      this.polling = false;
    }
  }
}
