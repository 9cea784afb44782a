import { conversation, type Trajectory } from "./trajectory.ts";

/**
 * One fine-tuning record per episode, in the OpenAI chat format that SFT tooling reads: the
 * whole conversation as the model saw and produced it (tool calls, tool results, format
 * errors and all, since the history was append-only) and the tool schemas it was given.
 */
export function chatRecord(trajectory: Trajectory, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    messages: conversation(trajectory),
    ...(trajectory.tools.length > 0 ? { tools: trajectory.tools } : {}),
    instance_id: trajectory.instance_id,
    exit_status: trajectory.exit_status,
    ...extra,
  };
}
