import type Docker from "dockerode";
import { formatBytes } from "../byte-size.ts";
import type { LimitBreach } from "../sandbox.ts";

/** How often the writable layer's size is read while a disk limit is set. */
const DISK_POLL_MS = 2_000;

/**
 * Stops every process of the container but its init and the keep-alive `tail`, so that what
 * grows the disk stops while the container (and the agent's work in it) stays readable.
 */
const STOP_ALL_COMMANDS =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
  'for p in /proc/[0-9]*; do pid=${p#/proc/}; [ "$pid" = 1 ] || [ "$pid" = "$$" ] && continue; ' +
  '[ "$(cat $p/comm 2>/dev/null)" = tail ] && [ "$(cat $p/stat 2>/dev/null | cut -d" " -f4)" = 1 ] && continue; kill -9 "$pid" 2>/dev/null; done; true';

/**
 * Watches one container's disk limit. overlay2 on ext4 has no size option, so the writable layer
 * is measured every few seconds and, past the limit, every command is stopped.
 */
export class DiskWatch {
  private breach: LimitBreach | undefined;
  private poller: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(
    private readonly container: Docker.Container,
    private readonly run: (command: string) => Promise<unknown>,
    private readonly diskBytes: number | undefined,
  ) {}

  start(): void {
    if (this.diskBytes) {
      this.poller = setInterval(() => void this.poll(), DISK_POLL_MS);
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

  private async poll(): Promise<void> {
    if (this.polling || this.breach || !this.diskBytes) return;
    this.polling = true;
    try {
      const info = (await this.container.inspect({ size: true } as never)) as unknown as { SizeRw?: number };
      const used = info.SizeRw ?? 0;
      if (used > this.diskBytes) {
        this.breach = {
          limit: "disk",
          message: `the sandbox wrote ${formatBytes(used)}, over its disk limit of ${formatBytes(this.diskBytes)} (--disk); its commands were stopped`,
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
