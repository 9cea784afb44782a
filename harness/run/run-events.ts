import { z } from "zod";

/**
 * What happened to an instance, appended to results/<run_id>/events.jsonl as it happens: the
 * plain-line log, the dashboard and `bottega status` are all folds over these events.
 */
export const ErrorCategory = z.enum([
  /** Docker engine, container, image pull: worth retrying, not the model's fault. */
  "infrastructure",
  /** What the official harness records as an error: patch did not apply, eval timed out, … */
  "evaluation",
  /** The agent episode ended abnormally (exit_api, exit_env, …). */
  "agent",
]);
export type ErrorCategory = z.infer<typeof ErrorCategory>;

export const RunEvent = z.discriminatedUnion("type", [
  z.object({ type: z.literal("run_started"), t: z.string(), runId: z.string(), total: z.number(), todo: z.number() }),
  z.object({ type: z.literal("phase_started"), t: z.string(), instance_id: z.string(), phase: z.enum(["pull", "agent", "grade"]), worker: z.number().optional() }),
  z.object({ type: z.literal("pull_progress"), t: z.string(), instance_id: z.string(), current: z.number(), total: z.number() }),
  z.object({
    type: z.literal("agent_step"),
    t: z.string(),
    instance_id: z.string(),
    step: z.number(),
    promptTokens: z.number(),
    completionTokens: z.number(),
    cachedTokens: z.number(),
    latencyMs: z.number(),
    /** The model endpoint that answered, when the run has several. */
    endpoint: z.string().optional(),
  }),
  z.object({ type: z.literal("agent_finished"), t: z.string(), instance_id: z.string(), exit_status: z.string(), steps: z.number(), patchBytes: z.number() }),
  z.object({ type: z.literal("graded"), t: z.string(), instance_id: z.string(), resolved: z.boolean() }),
  z.object({ type: z.literal("skipped"), t: z.string(), instance_id: z.string(), reason: z.string() }),
  /** Something a person reading the log should know, e.g. a prediction re-graded because its patch changed. */
  z.object({ type: z.literal("note"), t: z.string(), instance_id: z.string(), message: z.string() }),
  z.object({
    type: z.literal("error"),
    t: z.string(),
    instance_id: z.string(),
    phase: z.enum(["pull", "agent", "grade"]),
    category: ErrorCategory,
    kind: z.string(),
    message: z.string(),
    /** Will the runner try this instance again in this run? */
    retrying: z.boolean(),
  }),
  /** A model endpoint left rotation (it stopped answering) or came back (it answered /v1/models). */
  z.object({ type: z.literal("endpoint_down"), t: z.string(), endpoint: z.string(), reason: z.string() }),
  z.object({ type: z.literal("endpoint_up"), t: z.string(), endpoint: z.string() }),
  /** One failed request to a model endpoint (5xx, timeout, dropped or refused connection). */
  z.object({ type: z.literal("endpoint_error"), t: z.string(), endpoint: z.string(), reason: z.string() }),
  /** An episode left an endpoint that went down; it carries on at `to`. */
  z.object({ type: z.literal("episode_moved"), t: z.string(), instance_id: z.string(), from: z.string(), to: z.string() }),
  z.object({ type: z.literal("run_finished"), t: z.string(), interrupted: z.boolean() }),
]);
export type RunEvent = z.infer<typeof RunEvent>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type RunEventInput = DistributiveOmit<RunEvent, "t">;
