import { z } from "zod";

/** How a sandbox container is made: image, identity labels, limits, network. */
export const ContainerSpec = z.object({
  image: z.string().min(1),
  name: z.string().optional(),
  labels: z.record(z.string(), z.string()).default({}),
  workdir: z.string().optional(),
  user: z.string().optional(),
  env: z.record(z.string(), z.string()).default({}),
  memoryBytes: z.number().int().positive().optional(),
  pidsLimit: z.number().int().positive().optional(),
  cpus: z.number().positive().optional(),
  /** Docker network mode: "bridge" (the engine's default, as the official harness runs), "none", … */
  network: z.string().default("bridge"),
  /** Platform to run the image as, e.g. linux/amd64 for the official x86_64 images. */
  platform: z.string().optional(),
});
export type ContainerSpec = z.input<typeof ContainerSpec>;

/** Parses sizes such as "10g", "512m", "2048k" or a byte count. */
export function parseByteSize(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(value.trim());
  if (!match) throw new Error(`expected a size like 4g, 512m or a byte count, got "${value}"`);
  const power = { "": 0, k: 1, m: 2, g: 3, t: 4 }[match[2]!.toLowerCase() as "" | "k" | "m" | "g" | "t"];
  return Math.round(Number(match[1]) * 1024 ** power);
}
