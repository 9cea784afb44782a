import { basename } from "node:path";
import { messageText, type Trajectory, type TrajectoryMessage, type TrajectoryStep } from "../trajectory.ts";
import { builtinActionLine } from "./action-line.ts";

/**
 * A Bottega trajectory as a SWE-agent `.traj` file (SWE-agent 1.1 layout, reference §9): what
 * SWE-agent's web inspector, `sweagent inspect`/`quick-stats` and SWE-smith's
 * `transform_traj_xml` read.
 * - `history`: the conversation the model kept (system, task, then per step the reply and the
 *   observation), each item tagged with `agent: "main"` and its `message_type`; assistant items
 *   carry `thought`, `action` (the shell line) and OpenAI-style `tool_calls` (synthesised for XML
 *   and text replies, since SWE-smith's conversion reads the calls from there).
 * - `trajectory`: one entry per model query, failed ones included, with the messages that query
 *   was sent (`query`), as SWE-agent records them.
 * - `info`: submission, exit status (`submitted (<status>)` when a patch was salvaged after
 *   another exit, as SWE-agent's autosubmission writes it), model stats.
 * - `replay_config`: a JSON string, as SWE-agent writes it.
 */

const AGENT = "main";

export interface TrajFile {
  trajectory: TrajEntry[];
  history: HistoryItem[];
  info: Record<string, unknown>;
  replay_config: string | null;
  environment: string;
}

export interface TrajEntry {
  action: string;
  observation: string;
  response: string;
  thought: string;
  execution_time: number;
  state: Record<string, unknown>;
  query: HistoryItem[];
  extra_info: Record<string, unknown>;
}

export type HistoryItem = Record<string, unknown> & { role: string; content: unknown; agent: string; message_type: string };

export interface OpenAIToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** The step's action as SWE-agent records it: the shell line the call became. */
export function actionLine(step: TrajectoryStep): string {
  if (!step.action) return "";
  return step.command_line ?? builtinActionLine(step.action.tool, step.action.args);
}

/** The step's call as an OpenAI tool call: the native one when there was one, else made from the parsed action. */
export function toolCallsOf(step: TrajectoryStep): OpenAIToolCall[] | null {
  if (!step.action) return null;
  const native = step.response.tool_calls.find((call) => call.name === step.action!.tool) ?? step.response.tool_calls[0];
  const id = native?.id ?? `call_${step.step}`;
  return [{ id, type: "function", function: { name: step.action.tool, arguments: JSON.stringify(step.action.args) } }];
}

/** The exit status as SWE-agent writes it after autosubmission. */
export function sweAgentExitStatus(trajectory: Trajectory): string | null {
  const status = trajectory.exit_status;
  if (status === null || status === "submitted") return status;
  return trajectory.patch && trajectory.patch.trim() !== "" ? `submitted (${status})` : status;
}

function thoughtOf(step: TrajectoryStep): string {
  if (!step.action) return step.response.content ?? "";
  return step.thought ?? step.response.content ?? "";
}

/** A message the model kept in its history, as a SWE-agent history item. */
function historyItem(message: TrajectoryMessage, step: TrajectoryStep | null, isSystem: boolean): HistoryItem {
  const content = messageText(message.content);
  if (isSystem || message.role === "system") return { role: "system", content, agent: AGENT, message_type: "system_prompt" };
  if (message.role === "assistant") {
    const reasoning = step?.response.reasoning_content;
    return {
      role: "assistant",
      content,
      thought: step ? thoughtOf(step) : content,
      action: step ? actionLine(step) : "",
      agent: AGENT,
      tool_calls: step ? toolCallsOf(step) : null,
      message_type: "action",
      thinking_blocks: reasoning ? [{ type: "thinking", thinking: reasoning }] : [],
    };
  }
  if (message.role === "tool") {
    return { role: "tool", content, agent: AGENT, message_type: "observation", tool_call_ids: [String(message.tool_call_id ?? "")] };
  }
  return { role: message.role, content, agent: AGENT, message_type: "observation" };
}

/** A requery message (a failed reply and its error, shown once): SWE-agent tags them by role. */
function temporaryItem(message: TrajectoryMessage): HistoryItem {
  return {
    role: message.role,
    content: messageText(message.content),
    agent: AGENT,
    message_type: message.role === "assistant" ? "assistant" : "user",
  };
}

export interface TrajOptions {
  /** Written into `info` (and the `.pred` file) as model_name_or_path. */
  modelName?: string;
}

export function toSweAgentTraj(trajectory: Trajectory, options: TrajOptions = {}): TrajFile {
  const initial = trajectory.initial_messages.map((message, index) => historyItem(message, null, index === 0 && message.role === "system"));
  const history: HistoryItem[] = [...initial];
  const entries: TrajEntry[] = [];
  let pendingTemporary: HistoryItem[] = [];
  const last = trajectory.steps.at(-1);
  for (const step of trajectory.steps) {
    const query = [...history, ...pendingTemporary];
    const submittedHere = step === last && trajectory.exit_status === "submitted";
    let observation = step.action ? (step.observation ?? "") : "";
    // SWE-agent's observation for the submitting step is the patch itself.
    if (submittedHere && step.command_line == null) observation = trajectory.patch ?? "";
    entries.push({
      action: actionLine(step),
      observation,
      response: step.response.content ?? "",
      thought: thoughtOf(step),
      execution_time: step.tool_ms / 1000,
      state: step.state ?? {},
      query,
      extra_info: {},
    });
    for (const message of step.messages_added) history.push(historyItem(message, message.role === "assistant" ? step : null, false));
    pendingTemporary = step.temporary_messages.map(temporaryItem);
  }
  const usage = trajectory.steps.reduce(
    (sum, step) => ({ sent: sum.sent + (step.usage?.prompt_tokens ?? 0), received: sum.received + (step.usage?.completion_tokens ?? 0) }),
    { sent: 0, received: 0 },
  );
  const submission = trajectory.patch && trajectory.patch.trim() !== "" ? trajectory.patch : null;
  const replayConfig = {
    env: {
      deployment: { type: "docker", image: trajectory.config.image ?? null },
      repo: { type: "preexisting", repo_name: basename(trajectory.task.repo_root), base_commit: trajectory.task.base_commit },
    },
    agent: trajectory.config,
    problem_statement: { type: "text", text: trajectory.task.problem_statement, id: trajectory.instance_id },
  };
  return {
    trajectory: entries,
    history,
    info: {
      submission,
      exit_status: sweAgentExitStatus(trajectory),
      model_stats: { instance_cost: 0, tokens_sent: usage.sent, tokens_received: usage.received, api_calls: trajectory.steps.length },
      bottega: {
        trajectory_format: trajectory.format,
        exit_status: trajectory.exit_status,
        exit_message: trajectory.exit_message,
        observation_mode: trajectory.config.observation_mode ?? { kind: "builtin" },
        model_name_or_path: options.modelName ?? null,
        started_at: trajectory.started_at,
        finished_at: trajectory.finished_at,
      },
    },
    replay_config: JSON.stringify(replayConfig),
    environment: trajectory.instance_id,
  };
}

/** The `<iid>.pred` file beside a `.traj`. */
export function predFile(
  trajectory: Trajectory,
  modelName: string,
): { model_name_or_path: string; instance_id: string; model_patch: string | null } {
  const submission = trajectory.patch && trajectory.patch.trim() !== "" ? trajectory.patch : null;
  return { model_name_or_path: modelName, instance_id: trajectory.instance_id, model_patch: submission };
}
