import { z } from "zod";

/**
 * What happened to an instance, appended to results/<run_id>/events.jsonl as it happens: the
 * plain-line log, the dashboard and `bottega status` are all folds over these events.
 * Keys are snake_case, as every file a run writes.
 */

/** The phases an instance goes through; every error names the one it happened in. */
export const InstancePhase = z.enum(["pull", "agent", "grade"]);
export type InstancePhase = z.infer<typeof InstancePhase>;

/** What an error says about the instance: each one is a different thing to do about it. */
export const ErrorCategory = z.enum([
  /** The Docker engine or a container failed: retried, then worth running the command again. */
  "infrastructure",
  /** The instance image does not exist or could not be pulled: fix the name or the registry. */
  "image",
  /** The agent episode crashed (not the model's doing): no patch came out of it. */
  "agent",
  /** The patch does not apply to the repository: the official harness counts it as an error. */
  "patch",
  /** eval.sh timed out, or its log could not be graded: the official harness counts these too. */
  "evaluation",
]);
export type ErrorCategory = z.infer<typeof ErrorCategory>;

const RunEventUnion = z.discriminatedUnion("type", [
  z.object({ type: z.literal("run_started"), t: z.string(), run_id: z.string(), total: z.number(), todo: z.number() }),
  z.object({
    type: z.literal("phase_started"),
    t: z.string(),
    instance_id: z.string(),
    phase: InstancePhase,
    worker: z.number().optional(),
  }),
  z.object({ type: z.literal("pull_progress"), t: z.string(), instance_id: z.string(), current: z.number(), total: z.number() }),
  z.object({
    type: z.literal("agent_step"),
    t: z.string(),
    instance_id: z.string(),
    step: z.number(),
    prompt_tokens: z.number(),
    completion_tokens: z.number(),
    cached_tokens: z.number(),
    latency_ms: z.number(),
    /** The model endpoint that answered, when the run has several. */
    endpoint: z.string().optional(),
  }),
  z.object({
    type: z.literal("agent_finished"),
    t: z.string(),
    instance_id: z.string(),
    exit_status: z.string(),
    steps: z.number(),
    patch_bytes: z.number(),
  }),
  z.object({ type: z.literal("graded"), t: z.string(), instance_id: z.string(), resolved: z.boolean() }),
  z.object({ type: z.literal("skipped"), t: z.string(), instance_id: z.string(), reason: z.string() }),
  /** Something a person reading the log should know, e.g. a prediction re-graded because its patch changed. */
  z.object({ type: z.literal("note"), t: z.string(), instance_id: z.string(), message: z.string() }),
  z.object({
    type: z.literal("error"),
    t: z.string(),
    instance_id: z.string(),
    phase: InstancePhase,
    category: ErrorCategory,
    kind: z.string(),
    message: z.string(),
    /** Will the runner try this instance again in this run? */
    retrying: z.boolean(),
  }),
  z.object({ type: z.literal("run_finished"), t: z.string(), interrupted: z.boolean() }),
  /** A model endpoint left rotation (it stopped answering) or came back (it answered /v1/models). */
  z.object({ type: z.literal("endpoint_down"), t: z.string(), endpoint: z.string(), reason: z.string() }),
  z.object({ type: z.literal("endpoint_up"), t: z.string(), endpoint: z.string() }),
  /** One failed request to a model endpoint (5xx, timeout, dropped or refused connection). */
  z.object({ type: z.literal("endpoint_error"), t: z.string(), endpoint: z.string(), reason: z.string() }),
  /** An episode left an endpoint that went down; it carries on at `to`. */
  z.object({ type: z.literal("episode_moved"), t: z.string(), instance_id: z.string(), from: z.string(), to: z.string() }),
]);

/** Keys of events written before the format was snake_case throughout, and their names now. */
const LEGACY_KEYS: Record<string, string> = {
  runId: "run_id",
  patchBytes: "patch_bytes",
  promptTokens: "prompt_tokens",
  completionTokens: "completion_tokens",
  cachedTokens: "cached_tokens",
  latencyMs: "latency_ms",
};

/** Errors of runs made before categories said what was true were all "evaluation" ones, with these kinds. */
const legacyCategory = (kind: unknown) => (kind === "patch_apply_failed" ? "patch" : kind === "image_unavailable" ? "image" : undefined);

/** Reads events of either naming, so `status` and `summary` keep working on earlier runs. */
function fromLegacy(input: unknown): unknown {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return input;
  const event: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) event[LEGACY_KEYS[key] ?? key] = value;
  if (event.type === "error") event.category = legacyCategory(event.kind) ?? event.category;
  return event;
}

export const RunEvent = z.preprocess(fromLegacy, RunEventUnion);
export type RunEvent = z.infer<typeof RunEventUnion>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type RunEventInput = DistributiveOmit<RunEvent, "t">;
