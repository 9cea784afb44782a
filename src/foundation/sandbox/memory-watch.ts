import { formatBytes } from "./byte-size.ts";
import type { LimitBreach } from "./sandbox.ts";

/**
 * The kernel's count of processes it killed for memory in this sandbox's cgroup (v1 and v2 spell
 * it differently); read from inside, so it needs no access to the host's cgroup tree or the node.
 */
const OOM_KILLS =
  "cat /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory/memory.oom_control 2>/dev/null | awk '$1 == \"oom_kill\" { n += $2 } END { print n + 0 }'";

/** The breach of a memory limit, worded the same on every back end. */
const memoryBreach = (memoryBytes: number): LimitBreach => ({
  limit: "memory",
  message: `a process was killed for memory: the sandbox's limit is ${formatBytes(memoryBytes)} (--memory)`,
});

/**
 * Whether a command met the sandbox's memory limit. The engine or the kubelet enforces the limit
 * and the kernel kills a process, which the command sees only as a SIGKILL (137) or its shell
 * dying: then the cgroup's kill count says whether memory was the cause. A new sandbox's memory
 * cgroup is its own and starts at no kills, so no baseline is read (an exec per sandbox would
 * queue behind every other start when a run starts 64 at once).
 */
export class MemoryWatch {
  private breach: LimitBreach | undefined;
  private checking = false;

  constructor(
    private readonly run: (command: string) => Promise<{ output: string }>,
    private readonly memoryBytes: number | undefined,
  ) {}

  current(): LimitBreach | undefined {
    return this.breach;
  }

  /** After a command: one killed by SIGKILL (137) or whose shell died may have met the limit. */
  async afterCommand(exitCode: number | null, shellDied = false): Promise<void> {
    if (this.breach || this.checking || !this.memoryBytes || (exitCode !== 137 && !shellDied)) return;
    this.checking = true;
    const result = await this.run(OOM_KILLS)
      .catch(() => ({ output: "0" }))
      .finally(() => (this.checking = false));
    if ((Number.parseInt(result.output.trim(), 10) || 0) > 0) this.breach = memoryBreach(this.memoryBytes);
  }

  /** The sandbox's main process was killed for memory (the pod's container ended OOMKilled). */
  killed(): void {
    if (this.memoryBytes) this.breach ??= memoryBreach(this.memoryBytes);
  }
}
