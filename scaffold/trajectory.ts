import { readFileSync } from "node:fs";
import { z } from "zod";
import { writeFileAtomic } from "../src/foundation/store/atomic-file.ts";

/** How an episode ended; SWE-agent's exit statuses, plus what a batch runner needs. */
export const ExitStatus = z.enum([
  "submitted",
  "exit_context",
  "exit_format",
  "exit_step_limit",
  "exit_time",
  "exit_api",
  "exit_env",
  "exit_command_timeout",
  /** The sandbox's disk limit was reached (the command growing it was stopped). */
  "exit_disk",
  /** The sandbox's memory limit was reached (the kernel killed a process). */
  "exit_memory",
  /** Stopped by the user (Ctrl-C); the episode is redone when the run resumes. */
  "exit_interrupted",
]);
export type ExitStatus = z.infer<typeof ExitStatus>;

export const TRAJECTORY_FORMAT = "bottega-trajectory/2";

/** A chat message as sent to the model (OpenAI chat format). */
const Message = z.looseObject({ role: z.string() });
export type TrajectoryMessage = z.infer<typeof Message>;

export const ActionSource = z.enum(["native", "hermes", "xml", "text"]);
export type ActionSource = z.infer<typeof ActionSource>;

export const TrajectoryStep = z.object({
  step: z.number().int(),
  /** Length of the conversation sent with this step's request. */
  message_count: z.number().int(),
  /**
   * What this step appended to the conversation for good: the model's reply and the observation
   * (or, where format errors stay in the history, the error). Without a history processor the
   * request of step k is the initial messages followed by the messages added in steps 1..k-1.
   */
  messages_added: z.array(Message),
  /**
   * A failed reply and its format error sent once and then dropped (SWE-agent's requery): the
   * next request is the history plus these two; nothing of them stays once a valid reply comes.
   */
  temporary_messages: z.array(Message).default([]),
  response: z.object({
    content: z.string().nullable(),
    /** A reasoning parser's output (vLLM `reasoning_content`), kept as the server sent it. */
    reasoning_content: z.string().nullable().default(null),
    tool_calls: z.array(z.object({ id: z.string(), name: z.string(), arguments: z.string() })),
    finish_reason: z.string().nullable(),
    raw: z.unknown(),
  }),
  usage: z.object({ prompt_tokens: z.number(), completion_tokens: z.number(), cached_prompt_tokens: z.number().nullable() }).nullable(),
  model_latency_ms: z.number(),
  attempts: z.number().int(),
  /** max_tokens sent; null when the request left it to the server. */
  max_tokens: z.number().int().nullable(),
  /** The reply's text around the action (SWE-agent's thought). */
  thought: z.string().nullable().default(null),
  action: z.object({ tool: z.string(), args: z.record(z.string(), z.unknown()), source: ActionSource }).nullable(),
  format_error: z.object({ code: z.string(), message: z.string() }).nullable(),
  /** The tool's whole output, before any clipping. */
  observation: z.string().nullable(),
  /** What the model was sent (clipped, templated). */
  observation_sent: z.string().nullable(),
  tool_ms: z.number(),
  /** With a user's SWE-agent bundles: the shell line the call became (SWE-agent's `action`). */
  command_line: z.string().nullable().optional(),
  /** With a user's SWE-agent bundles: what the state commands wrote after the step. */
  state: z.record(z.string(), z.unknown()).nullable().optional(),
});
export type TrajectoryStep = z.infer<typeof TrajectoryStep>;

export const Trajectory = z.object({
  format: z.literal(TRAJECTORY_FORMAT),
  instance_id: z.string(),
  /** Every setting of the episode (agent, configuration, templates, model, sampling), snake_case. */
  config: z.record(z.string(), z.unknown()),
  task: z.object({
    problem_statement: z.string(),
    repo_root: z.string(),
    base_commit: z.string().nullable(),
    start_commit: z.string().nullable(),
  }),
  /** The tool schemas sent with every request (tools mode), for replay and fine-tuning export. */
  tools: z.array(z.unknown()),
  /** The system and task messages every request starts with. */
  initial_messages: z.array(Message),
  steps: z.array(TrajectoryStep),
  exit_status: ExitStatus.nullable(),
  exit_message: z.string().nullable(),
  patch: z.string().nullable(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
});
export type Trajectory = z.infer<typeof Trajectory>;

/** Format 1 (until the snake_case change): snake_case at the top, camelCase in the steps. */
const TrajectoryStepV1 = z.object({
  step: z.number().int(),
  messageCount: z.number().int(),
  messagesAdded: z.array(Message),
  response: z.object({
    content: z.string().nullable(),
    toolCalls: z.array(z.object({ id: z.string(), name: z.string(), arguments: z.string() })),
    finishReason: z.string().nullable(),
    raw: z.unknown(),
  }),
  usage: z.object({ promptTokens: z.number(), completionTokens: z.number(), cachedPromptTokens: z.number().nullable() }).nullable(),
  modelLatencyMs: z.number(),
  attempts: z.number().int(),
  maxTokens: z.number().int(),
  action: z.object({ tool: z.string(), args: z.record(z.string(), z.unknown()), source: z.enum(["native", "hermes", "text"]) }).nullable(),
  formatError: z.object({ code: z.string(), message: z.string() }).nullable(),
  observation: z.string().nullable(),
  observationSent: z.string().nullable(),
  toolMs: z.number(),
});
const TrajectoryV1 = Trajectory.extend({ format: z.literal("bottega-trajectory/1"), steps: z.array(TrajectoryStepV1) });
type TrajectoryV1 = z.infer<typeof TrajectoryV1>;

function upgradeV1(old: TrajectoryV1): Trajectory {
  return {
    ...old,
    format: TRAJECTORY_FORMAT,
    config: snakeCaseKeys(old.config) as Record<string, unknown>,
    steps: old.steps.map((s) => ({
      step: s.step,
      message_count: s.messageCount,
      messages_added: s.messagesAdded,
      temporary_messages: [],
      response: {
        content: s.response.content,
        reasoning_content: null,
        tool_calls: s.response.toolCalls,
        finish_reason: s.response.finishReason,
        raw: s.response.raw,
      },
      usage: s.usage && {
        prompt_tokens: s.usage.promptTokens,
        completion_tokens: s.usage.completionTokens,
        cached_prompt_tokens: s.usage.cachedPromptTokens,
      },
      model_latency_ms: s.modelLatencyMs,
      attempts: s.attempts,
      max_tokens: s.maxTokens,
      thought: null,
      action: s.action,
      format_error: s.formatError,
      observation: s.observation,
      observation_sent: s.observationSent,
      tool_ms: s.toolMs,
    })),
  };
}

/** A trajectory of any format this version has written, as the current format; a bad one names the field. */
export function parseTrajectory(json: unknown, source = "trajectory"): Trajectory {
  const format = (json as { format?: unknown } | null)?.format;
  const schema = format === "bottega-trajectory/1" ? TrajectoryV1 : Trajectory;
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${source}: field "${issue.path.join(".")}": ${issue.message}`);
  }
  return format === "bottega-trajectory/1" ? upgradeV1(parsed.data as TrajectoryV1) : (parsed.data as Trajectory);
}

export function readTrajectory(path: string): Trajectory {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`${path}: not a readable JSON trajectory (${(error as Error).message})`);
  }
  return parseTrajectory(json, path);
}

/** Writes the trajectory whole, atomically, after every step: a crash loses at most one step. */
export async function saveTrajectory(path: string, trajectory: Trajectory): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(trajectory, null, 1));
}

/** A message's text: its string, or its text parts joined (OpenAI content parts). */
export function messageText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content))
    return content
      .map((part) => (typeof part === "object" && part !== null && "text" in part ? String((part as { text: unknown }).text) : ""))
      .join("");
  return "";
}

/** The whole conversation that stayed in the history: the initial messages and everything the steps appended. */
export function conversation(trajectory: Trajectory): TrajectoryMessage[] {
  return [...trajectory.initial_messages, ...trajectory.steps.flatMap((step) => step.messages_added)];
}

/**
 * Maps of the user's own keys inside recorded settings (request body fields, environment
 * variables, template variables): recorded as given, never renamed.
 */
const USER_MAPS = new Set(["extraBody", "envVariables", "env_variables", "registry_variables", "variables"]);

/** camelCase keys to snake_case, deeply (settings recorded on disk), except inside the user's own maps. */
export function snakeCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeCaseKeys);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key.replace(/([a-z0-9])([A-Z]+)/g, (_, a: string, b: string) => `${a}_${b.toLowerCase()}`),
      USER_MAPS.has(key) ? inner : snakeCaseKeys(inner),
    ]),
  );
}
