import type { ImageLayer, SandboxBackend } from "../../src/foundation/sandbox/sandbox-backend.ts";

/**
 * The image disk a run holds: the layers of the images it pulled and still has, each counted
 * once however many of its images share it, leaving out layers that were on the machine before
 * the run (another image there holds them, e.g. a shared base). Back ends without a local image
 * store count nothing.
 */
export class ImageDiskLedger {
  private readonly held = new Map<string, ImageLayer[]>();
  private peakBytes = 0;
  private largest = 0;

  private constructor(
    private readonly backend: SandboxBackend,
    private readonly before: ReadonlySet<string>,
  ) {}

  /** Notes the layers already on the machine. */
  static async start(backend: SandboxBackend): Promise<ImageDiskLedger> {
    return new ImageDiskLedger(backend, (await backend.localLayers?.()) ?? new Set());
  }

  /** An image the run pulled. */
  async add(image: string): Promise<void> {
    const layers = (await this.backend.imageLayers?.(image)) ?? [];
    this.held.set(image, layers);
    this.peakBytes = Math.max(this.peakBytes, this.bytes());
    this.largest = Math.max(
      this.largest,
      layers.filter((layer) => !this.before.has(layer.id)).reduce((sum, layer) => sum + layer.bytes, 0),
    );
  }

  /** An image the run removed. */
  delete(image: string): void {
    this.held.delete(image);
  }

  /** Bytes of the layers the run brought and still holds. */
  bytes(): number {
    const counted = new Map<string, number>();
    for (const layers of this.held.values()) {
      for (const layer of layers) if (!this.before.has(layer.id)) counted.set(layer.id, layer.bytes);
    }
    let total = 0;
    for (const bytes of counted.values()) total += bytes;
    return total;
  }

  /** The most the run held at once, measured after each pull. */
  get peak(): number {
    return this.peakBytes;
  }

  /** The most one image of the run brought on its own: the estimate of what the next pull adds (0 before the first). */
  get largestSeen(): number {
    return this.largest;
  }
}
