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
  /** Kernel capabilities removed from Docker's default set, and added to it. */
  capDrop: z.array(z.string()).default([]),
  capAdd: z.array(z.string()).default([]),
  /** no-new-privileges: setuid binaries and file capabilities grant nothing. */
  noNewPrivileges: z.boolean().default(false),
  /** Most bytes the container's writable layer may hold before its commands are stopped. */
  diskBytes: z.number().int().positive().optional(),
  /** Platform to run the image as, e.g. linux/amd64 for the official x86_64 images. */
  platform: z.string().optional(),
});
export type ContainerSpec = z.input<typeof ContainerSpec>;

// In its own file so the CLI parses --memory without loading zod.
export { parseByteSize } from "./byte-size.ts";
