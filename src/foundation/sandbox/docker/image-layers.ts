import type Docker from "dockerode";
import type { ImageLayer } from "../sandbox-backend.ts";

/**
 * Each layer of a local image with its size: history entries that made a layer (non-empty,
 * oldest first) line up with RootFS.Layers. When they do not (a layer of zero bytes, an
 * engine that reports history differently), the whole image counts as its top layer: an
 * overestimate, the safe side of a disk bound.
 */
export async function imageLayers(docker: Docker, name: string): Promise<ImageLayer[]> {
  const image = docker.getImage(name);
  const [inspected, history] = await Promise.all([image.inspect(), image.history() as Promise<Array<{ Size: number }>>]);
  const ids = inspected.RootFS?.Layers ?? [];
  const sizes = history
    .slice()
    .reverse()
    .map((entry) => entry.Size)
    .filter((size) => size > 0);
  if (sizes.length === ids.length) return ids.map((id, i) => ({ id, bytes: sizes[i]! }));
  return ids.map((id, i) => ({ id, bytes: i === ids.length - 1 ? inspected.Size : 0 }));
}

/** The layers of every image on the engine. */
export async function localLayers(docker: Docker): Promise<Set<string>> {
  const layers = new Set<string>();
  for (const summary of await docker.listImages()) {
    try {
      for (const layer of (await docker.getImage(summary.Id).inspect()).RootFS?.Layers ?? []) layers.add(layer);
    } catch {
      // removed meanwhile: its layers may be gone too
    }
  }
  return layers;
}
