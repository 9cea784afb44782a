import type { Sandbox } from "./sandbox.ts";

/**
 * Every sandbox this process created and has not removed yet, so a signal handler can remove
 * them all before the process exits.
 */
class LiveContainers {
  private readonly sandboxes = new Set<Sandbox>();

  add(sandbox: Sandbox): void {
    this.sandboxes.add(sandbox);
  }

  delete(sandbox: Sandbox): void {
    this.sandboxes.delete(sandbox);
  }

  get size(): number {
    return this.sandboxes.size;
  }

  async removeAll(): Promise<void> {
    await Promise.allSettled([...this.sandboxes].map((sandbox) => sandbox.remove()));
  }
}

export const liveContainers = new LiveContainers();
