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
  /** Stopped by the user (Ctrl-C); the episode is redone when the run resumes. */
  "exit_interrupted",
]);
export type ExitStatus = z.infer<typeof ExitStatus>;

/** A chat message as sent to the model (OpenAI chat format). */
const Message = z.looseObject({ role: z.string() });

export const TrajectoryStep = z.object({
  step: z.number().int(),
  /** Length of the conversation sent with this step's request. */
  messageCount: z.number().int(),
  /**
   * What this step appended to the conversation: the model's reply and the observation (or
   * format error). The history is append-only, so the request of step k is the initial
   * messages followed by the messages added in steps 1..k-1.
   */
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
  action: z
    .object({ tool: z.string(), args: z.record(z.string(), z.unknown()), source: z.enum(["native", "hermes", "text"]) })
    .nullable(),
  formatError: z.object({ code: z.string(), message: z.string() }).nullable(),
  /** The tool's whole output, before any clipping. */
  observation: z.string().nullable(),
  /** What the model was sent (clipped, templated). */
  observationSent: z.string().nullable(),
  toolMs: z.number(),
});
export type TrajectoryStep = z.infer<typeof TrajectoryStep>;

export const Trajectory = z.object({
  format: z.literal("bottega-trajectory/1"),
  instance_id: z.string(),
  config: z.record(z.string(), z.unknown()),
  task: z.object({ problem_statement: z.string(), repo_root: z.string(), base_commit: z.string().nullable(), start_commit: z.string().nullable() }),
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

/** Writes the trajectory whole, atomically, after every step: a crash loses at most one step. */
export async function saveTrajectory(path: string, trajectory: Trajectory): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(trajectory, null, 1));
}

/** The whole conversation: the initial messages and everything the steps appended. */
export function conversation(trajectory: Trajectory): Array<z.infer<typeof Message>> {
  return [...trajectory.initial_messages, ...trajectory.steps.flatMap((step) => step.messagesAdded)];
}
