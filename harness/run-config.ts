import { z } from "zod";
import { Semantics } from "./test-status.ts";

/** Everything that decides what a run does; stored in results/<run_id>/run.json. */
export const EvalConfig = z.object({
  runId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "letters, digits, '.', '_' and '-' only"),
  resultsDir: z.string().default("results"),
  dataset: z.string(),
  split: z.string().default("test"),
  instances: z.array(z.string()).optional(),
  /** A predictions file, or "gold". */
  predictions: z.string(),
  /** Parallel gradings (the official --max_workers, default 4). */
  gradeWorkers: z.number().int().positive().default(4),
  /** Parallel image pulls. */
  pullWorkers: z.number().int().positive().default(2),
  /** Seconds eval.sh may run (official default 1800). */
  timeoutSec: z.number().positive().default(1800),
  /** Docker network of grading containers: the official harness leaves it on ("bridge"). */
  network: z.string().default("bridge"),
  imageTemplate: z.string().optional(),
  evalScript: z.enum(["generated", "dataset"]).default("generated"),
  resetPolicy: z.enum(["v4.1.0", "539", "v5-dataset"]).default("539"),
  grading: Semantics.default("v4"),
  memoryBytes: z.number().int().positive().optional(),
  pidsLimit: z.number().int().positive().optional(),
  cpus: z.number().positive().optional(),
  /** Keep instance images pulled by this run (the official --cache_level instance). */
  keepImages: z.boolean().default(false),
  /** Infrastructure failures (engine, container) retried per instance before it is an error. */
  infraRetries: z.number().int().min(0).default(2),
});
export type EvalConfig = z.infer<typeof EvalConfig>;
export type EvalConfigInput = z.input<typeof EvalConfig>;
