import { ImageUnavailableError } from "../../src/foundation/sandbox/errors.ts";
import type { TaskRow } from "../dataset/task-row.ts";
import { ImageDiskLedger } from "../images/image-disk.ts";
import { layerGroup } from "../images/layer-groups.ts";
import { inPhase, PhaseError } from "./phase-error.ts";
import type { RunContext } from "./prepare-run.ts";

/**
 * The image phase: the instance image present before its agent or grading starts (pulled when
 * missing, with progress, within --max-image-disk), and removed after the instance when this
 * run pulled it — unless the run keeps images, or the next instance of its layer group still
 * needs the shared layers. An image the registry does not have is an "image" error, not retried.
 */
export class ImagePhase {
  private readonly pulledByUs = new Set<string>();
  /** Per layer group: its instances whose image is not pulled yet. */
  private readonly unpulled = new Map<string, number>();
  /** Per layer group: a finished image kept for its shared layers. */
  private readonly keptForGroup = new Map<string, string>();
  private freed: () => void = () => undefined;
  private released = new Promise<void>((resolve) => (this.freed = resolve));
  private pulling = 0;
  private reserved = 0;

  private constructor(
    private readonly run: RunContext,
    readonly disk: ImageDiskLedger,
  ) {
    for (const row of run.todo) this.unpulled.set(layerGroup(row), (this.unpulled.get(layerGroup(row)) ?? 0) + 1);
  }

  static async start(run: RunContext): Promise<ImagePhase> {
    return new ImagePhase(run, await ImageDiskLedger.start(run.sandboxes));
  }

  ensure(row: TaskRow, image: string): Promise<void> {
    return inPhase("pull", "image", async () => {
      const { sandboxes, events } = this.run;
      if (await sandboxes.hasImage(image)) return;
      const estimate = await this.roomForPull();
      events.emit({ type: "phase_started", instance_id: row.instance_id, phase: "pull" });
      let last = 0;
      try {
        await sandboxes.pullImage(image, {
          onProgress: (progress) => {
            if (progress.total > 0 && progress.current - last > progress.total / 20) {
              last = progress.current;
              events.emit({ type: "pull_progress", instance_id: row.instance_id, current: progress.current, total: progress.total });
            }
          },
        });
      } catch (error) {
        this.pullDone(estimate);
        // An image the registry does not have will not appear on a retry; a registry that went away may come back.
        const message = (error as Error).message;
        if (error instanceof ImageUnavailableError) {
          const missing = /not found|manifest unknown|does not exist|repository .* not exist/i.test(message);
          throw new PhaseError("pull", "image", missing ? "image_not_found" : "image_unavailable", message, !missing, { cause: error });
        }
        throw error;
      }
      this.pulledByUs.add(image);
      await this.disk.add(image).finally(() => this.pullDone(estimate));
      // Pulled, waiting for a worker.
      events.emit({ type: "pull_progress", instance_id: row.instance_id, current: 1, total: 1 });
    });
  }

  /** The instance's image is here (or will never come): its group's kept image can go. */
  async counted(row: TaskRow): Promise<void> {
    const group = layerGroup(row);
    this.unpulled.set(group, (this.unpulled.get(group) ?? 1) - 1);
    await this.groupMoved(group);
  }

  /** The instance is done with its image. */
  async release(row: TaskRow, image: string): Promise<void> {
    if (!this.pulledByUs.has(image) || this.run.config.keepImages) return;
    const group = layerGroup(row);
    // The group's shared layers stay (held by this image) until its next instance is pulled.
    if ((this.unpulled.get(group) ?? 0) > 0 && !this.keptForGroup.has(group)) this.keptForGroup.set(group, image);
    else await this.dropImage(image);
  }

  /** The end of the run: kept images go too. */
  async finish(): Promise<void> {
    if (!this.run.config.keepImages) for (const group of [...this.keptForGroup.keys()]) await this.groupMoved(group);
  }

  private async dropImage(image: string): Promise<void> {
    this.pulledByUs.delete(image);
    await this.run.sandboxes.removeImage(image).catch(() => undefined);
    this.disk.delete(image);
    this.wake();
  }

  private async groupMoved(group: string): Promise<void> {
    const kept = this.keptForGroup.get(group);
    this.keptForGroup.delete(group);
    if (kept !== undefined) await this.dropImage(kept);
  }

  private wake(): void {
    this.freed();
    this.released = new Promise<void>((resolve) => (this.freed = resolve));
  }

  /** Pulls in flight hold room for the size they are expected to add; before any size is known, one pull at a time. */
  private fits(max: number, estimate: number): boolean {
    return (this.disk.bytes() === 0 && this.pulling === 0) || (estimate > 0 && this.disk.bytes() + this.reserved + estimate <= max);
  }

  /** Waits until the next pull fits under --max-image-disk (judged by the largest image so far). */
  private async roomForPull(): Promise<number> {
    const max = this.run.config.maxImageDiskBytes;
    if (max === undefined) return 0;
    while (!this.fits(max, this.disk.largestSeen)) {
      if (this.keptForGroup.size > 0) {
        for (const group of [...this.keptForGroup.keys()]) await this.groupMoved(group);
        continue;
      }
      await this.released;
    }
    this.pulling++;
    this.reserved += this.disk.largestSeen;
    return this.disk.largestSeen;
  }

  private pullDone(estimate: number): void {
    if (this.run.config.maxImageDiskBytes === undefined) return;
    this.pulling--;
    this.reserved -= estimate;
    this.wake();
  }
}
