import type { ChatCompletionMessageParam, ChatCompletionTool } from "openai/resources/chat/completions";
import type { ChatModel } from "../src/foundation/model/chat-model.ts";
import { ContextLengthError, ModelCallAbortedError } from "../src/foundation/model/model-errors.ts";
import { toAssistantParam, type ModelCallResult } from "../src/foundation/model/model-result.ts";
import { isInfrastructureError } from "../src/foundation/sandbox/errors.ts";
import type { Sandbox, ShellSession } from "../src/foundation/sandbox/sandbox.ts";
import { parseAction, type ParseOutcome } from "./actions/parse-action.ts";
import type { AgentConfig } from "./agent-config.ts";
import { loadBundleSet } from "./bundles/bundle-set.ts";
import { commandDocsOfTools, renderCommandDocs, renderXmlFunctionDocs, withBundleDocs, XML_CALL_FORMAT } from "./command-docs.ts";
import { processHistory } from "./history-processors.ts";
import { renderJinja } from "./jinja.ts";
import { salvagePatch } from "./patch.ts";
import { renderObservation, type Templates } from "./templates.ts";
import { functionTools, textToolDocs } from "./tool-schema.ts";
import type { Tool, ToolContext, ToolResult } from "./tools/tool.ts";
import {
  conversation,
  saveTrajectory,
  snakeCaseKeys,
  TRAJECTORY_FORMAT,
  type ExitStatus,
  type Trajectory,
  type TrajectoryStep,
} from "./trajectory.ts";

export { AgentConfig } from "./agent-config.ts";

export interface AgentTask {
  id: string;
  problemStatement: string;
  repoRoot: string;
  /** The patch is everything changed since this commit (the tree's HEAD when the episode began). */
  startCommit: string;
  baseCommit?: string;
}

export interface AgentEpisode {
  task: AgentTask;
  sandbox: Sandbox;
  shell: ShellSession;
  tools: Tool[];
  model: ChatModel;
  config: AgentConfig;
  /** Templates that replace the configuration's (`--templates FILE`). */
  templates?: Partial<Templates>;
  /** More settings to record in the trajectory (profile, model, sampling…), beside the agent's. */
  recordConfig?: Record<string, unknown>;
  /** The state a user's SWE-agent bundles wrote before the first step (bundles mode); its keys fill the templates. */
  initialState?: Record<string, unknown>;
  /** Written after every step; omit to keep the trajectory in memory only. */
  trajectoryPath?: string;
  signal?: AbortSignal;
  onStep?: (step: TrajectoryStep) => void;
  /** Continue this saved conversation (its steps are kept; numbering goes on) instead of starting one. */
  resume?: Trajectory;
  /** For a person watching (`bottega fix`); a batch run leaves them out. */
  hooks?: AgentHooks;
}

/** What an interactive front end may do inside the loop; every hook is optional. */
export interface AgentHooks {
  /** Asked before each action runs; a rejection's feedback is sent as the action's observation. */
  approve?: (
    action: { tool: string; args: Record<string, unknown> },
    step: number,
  ) => Promise<{ approved: true } | { approved: false; feedback?: string }>;
  /** Messages the user typed meanwhile, delivered together as the next user turn. */
  takeUserMessages?: () => string[];
  /** A fresh signal per step: aborting it interrupts only that step (the model's stream or the command). */
  stepSignal?: () => AbortSignal;
  /** After an interrupted step: resolves when the user wants the agent to go on. */
  waitForUser?: () => Promise<void>;
  /** Streamed text of the model's reply as it arrives (content, then tool-call arguments). */
  onDelta?: (delta: { kind: "content" | "arguments"; text: string }) => void;
  /** The action is about to run (after approval). */
  onAction?: (action: { tool: string; args: Record<string, unknown> }, step: number) => void;
}

/** What the model is told when the user stopped a step (and what answers its open tool calls). */
export const INTERRUPTED = "The command was interrupted by the user.";

export interface EpisodeOutcome {
  exitStatus: ExitStatus;
  exitMessage: string | null;
  patch: string | null;
  trajectory: Trajectory;
}

/** A way out of the loop, carrying the exit status. */
class EpisodeEnd extends Error {
  constructor(
    readonly status: ExitStatus,
    message: string,
  ) {
    super(message);
  }
}

function modelFailure(error: unknown): EpisodeEnd {
  if (error instanceof ContextLengthError) return new EpisodeEnd("exit_context", error.message);
  if (error instanceof ModelCallAbortedError) return new EpisodeEnd("exit_interrupted", error.message);
  return new EpisodeEnd("exit_api", (error as Error).message);
}

/**
 * The first request of an episode: the system prompt and the task, with the tools' schemas. It
 * needs no sandbox, so a runner can send it while the episode's container starts.
 */
export function openingRequest(
  task: AgentTask,
  tools: Tool[],
  config: AgentConfig,
  templateOverrides?: Partial<Templates>,
  state: Record<string, unknown> = {},
): { messages: ChatCompletionMessageParam[]; tools: ChatCompletionTool[] } {
  const templates: Templates = { ...config.templates, ...templateOverrides };
  const toolSchemas = config.actionFormat === "tools" ? functionTools(tools) : [];
  const system = systemPrompt(templates, config, tools, task);
  const messages: ChatCompletionMessageParam[] = [
    { role: config.convertSystemToUser ? "user" : "system", content: system },
    {
      role: "user",
      content: renderJinja(templates.instance_template, { ...templateValues(config, task, system), ...state }, "instance_template"),
    },
  ];
  return { messages, tools: toolSchemas };
}

/**
 * The ReAct loop: ask the model, parse one action, run it, append the observation, repeat until
 * `submit` or a limit. Without a history processor the history is append-only (the request of
 * step n+1 starts with the exact messages of step n), so the server's prefix cache always hits.
 * A reply without a usable action is answered with the format error: in "temporary" mode
 * (SWE-agent's requery) both are dropped once a valid reply comes, in "kept" mode they stay.
 * Whatever ends the episode, the patch is salvaged from the sandbox.
 */
export async function runAgent(episode: AgentEpisode): Promise<EpisodeOutcome> {
  const { task, tools, model, config, signal } = episode;
  const templates: Templates = { ...config.templates, ...episode.templates };
  const hooks = episode.hooks ?? {};
  // SWE-agent's state (bundles mode): what the bundles' state commands wrote, for every template.
  let state = episode.initialState ?? {};
  const { messages, tools: toolSchemas } = openingRequest(task, tools, config, episode.templates, state);
  const trajectory: Trajectory = episode.resume
    ? { ...episode.resume, steps: [...episode.resume.steps], exit_status: null, exit_message: null, finished_at: null }
    : {
        format: TRAJECTORY_FORMAT,
        instance_id: task.id,
        config: snakeCaseKeys({ agent: { ...config, templates }, ...episode.recordConfig }) as Record<string, unknown>,
        task: {
          problem_statement: task.problemStatement,
          repo_root: task.repoRoot,
          base_commit: task.baseCommit ?? null,
          start_commit: task.startCommit,
        },
        tools: toolSchemas,
        initial_messages: [...messages] as Trajectory["initial_messages"],
        steps: [],
        exit_status: null,
        exit_message: null,
        patch: null,
        started_at: new Date().toISOString(),
        finished_at: null,
      };
  if (episode.resume) messages.splice(0, messages.length, ...(conversation(trajectory) as ChatCompletionMessageParam[]));
  let stepSignal: AbortSignal | undefined;
  const context: ToolContext = {
    sandbox: episode.sandbox,
    repoRoot: task.repoRoot,
    shell: (command, options) => episode.shell.run(command, { ...options, signal: stepSignal }),
  };
  const firstStep = trajectory.steps.length + 1;
  const deadline = Date.now() + config.wallTimeSec * 1000;
  let formatErrors = 0;
  let timeouts = 0;
  // SWE-agent's requery: the failed reply and its error, sent once after the history.
  let temporary: ChatCompletionMessageParam[] = [];
  let end: EpisodeEnd | undefined;

  try {
    if (Object.keys(config.envVariables).length > 0) await episode.shell.run(exportLine(config.envVariables), { timeoutMs: 30_000 });
    for (let step = firstStep; ; step++) {
      if (signal?.aborted) throw new EpisodeEnd("exit_interrupted", "stopped by the user");
      if (step >= firstStep + config.stepLimit) throw new EpisodeEnd("exit_step_limit", `reached the limit of ${config.stepLimit} steps`);
      if (Date.now() > deadline) throw new EpisodeEnd("exit_time", `reached the wall-time limit of ${config.wallTimeSec} s`);

      deliverUserMessages(hooks, messages, trajectory);
      stepSignal = hooks.stepSignal?.();
      const callSignal = stepSignal && signal ? AbortSignal.any([signal, stepSignal]) : (stepSignal ?? signal);
      const request = [...processHistory(messages.map(historyEntry), config.historyProcessors), ...temporary];
      let reply: ModelCallResult;
      try {
        reply = await model.complete({
          messages: request,
          tools: toolSchemas.length > 0 ? toolSchemas : undefined,
          signal: callSignal,
          onDelta: hooks.onDelta,
        });
      } catch (error) {
        // Nothing was appended, so the conversation is still valid: wait and ask again.
        if (error instanceof ModelCallAbortedError && stepSignal?.aborted && !signal?.aborted) {
          await hooks.waitForUser?.();
          continue;
        }
        throw modelFailure(error);
      }
      const parsed = parseAction(reply, tools, config.actionFormat, {
        formatErrorTemplate: templates.format_error_template ?? undefined,
        xml: config.xml,
      });
      const record = stepRecord(step, request.length, reply, parsed);
      const assistant = assistantTurn(reply);

      let text: string;
      let result: ToolResult | undefined;
      if (parsed.ok || parsed.toolError) {
        formatErrors = 0;
        const started = Date.now();
        result = parsed.ok ? await runApproved(parsed.action, step) : { output: `${parsed.error.detail}\n`, isError: true };
        record.tool_ms = Date.now() - started;
        record.observation = result.output;
        if (result.commandLine !== undefined) record.command_line = result.commandLine;
        if (result.state !== undefined) record.state = result.state;
        if (result.state) state = result.state;
        timeouts = result.timedOut ? timeouts + 1 : 0;
        text = renderObservation(result.output, templates, { working_dir: task.repoRoot, ...state });
      } else {
        formatErrors++;
        text = parsed.error.message;
      }
      record.observation_sent = text;
      // A native tool call is answered by a tool message with its id (every id, so the API
      // never sees an unanswered call); anything else by a user message.
      const calls = reply.message.toolCalls;
      const answers: ChatCompletionMessageParam[] =
        calls.length > 0
          ? calls.map((call) => ({ role: "tool", tool_call_id: call.id, content: text }))
          : [{ role: "user", content: text }];
      if (result === undefined && config.formatErrorTurns === "temporary") {
        temporary = [assistant, ...answers];
        record.temporary_messages = temporary as TrajectoryStep["temporary_messages"];
      } else {
        temporary = [];
        record.messages_added = [assistant, ...answers] as TrajectoryStep["messages_added"];
        messages.push(assistant, ...answers);
      }
      trajectory.steps.push(record);
      episode.onStep?.(record);
      if (episode.trajectoryPath) await saveTrajectory(episode.trajectoryPath, trajectory);

      if (stepSignal?.aborted && !signal?.aborted) await hooks.waitForUser?.();
      const breach = episode.sandbox.limitBreach?.();
      if (breach) throw new EpisodeEnd(breach.limit === "disk" ? "exit_disk" : "exit_memory", breach.message);
      if (result?.submitted) throw new EpisodeEnd("submitted", "the agent submitted");
      if (formatErrors >= config.maxFormatErrors)
        throw new EpisodeEnd("exit_format", `${formatErrors} replies in a row had no usable action`);
      if (timeouts >= config.maxConsecutiveTimeouts)
        throw new EpisodeEnd("exit_command_timeout", `${timeouts} commands in a row timed out`);
    }
  } catch (error) {
    if (!(error instanceof EpisodeEnd)) throw error;
    end = error;
  }

  // Every exit path salvages what the agent changed; only a dead sandbox yields no patch.
  let patch: string | null = null;
  try {
    patch = await salvagePatch(episode.sandbox, task.repoRoot, task.startCommit);
  } catch (error) {
    end = end.status === "submitted" ? new EpisodeEnd("exit_env", `could not read the patch: ${(error as Error).message}`) : end;
  }
  trajectory.exit_status = end.status;
  trajectory.exit_message = end.message;
  trajectory.patch = patch;
  trajectory.finished_at = new Date().toISOString();
  if (episode.trajectoryPath) await saveTrajectory(episode.trajectoryPath, trajectory);
  return { exitStatus: end.status, exitMessage: end.message, patch, trajectory };

  /** The action, once the user (if one is watching) approves it; what it printed is the observation. */
  async function runApproved(action: { name: string; args: Record<string, unknown> }, step: number): Promise<ToolResult> {
    const tool = tools.find((t) => t.name === action.name)!;
    const verdict = hooks.approve ? await hooks.approve({ tool: action.name, args: action.args }, step) : { approved: true as const };
    if (stepSignal?.aborted) return { output: INTERRUPTED, isError: true };
    if (!verdict.approved) {
      const feedback = verdict.feedback?.trim();
      return { output: `The user rejected this action.${feedback ? ` Their feedback: ${feedback}` : ""}`, isError: true };
    }
    hooks.onAction?.({ tool: action.name, args: action.args }, step);
    let result: ToolResult;
    try {
      result = await tool.run(action.args, context);
    } catch (error) {
      if (isInfrastructureError(error)) {
        // A sandbox that died of its own limit (a pod evicted past its disk) ends with that limit, not as the machine's failure.
        const breach = episode.sandbox.limitBreach?.();
        if (breach) throw new EpisodeEnd(breach.limit === "disk" ? "exit_disk" : "exit_memory", breach.message);
        throw new EpisodeEnd("exit_env", `the sandbox failed: ${(error as Error).message}`);
      }
      result = { output: `The tool failed: ${(error as Error).message}`, isError: true };
    }
    if (stepSignal?.aborted)
      result = { output: `${result.output}${result.output && !result.output.endsWith("\n") ? "\n" : ""}${INTERRUPTED}`, isError: true };
    return result;
  }
}

/** The system prompt; in XML and text modes the tools are documented in it unless the template does so itself. */
function systemPrompt(templates: Templates, config: AgentConfig, tools: Tool[], task: AgentTask): string {
  let docs = commandDocsOfTools(tools);
  if (config.bundles.checkout !== null)
    docs = withBundleDocs(
      docs,
      loadBundleSet(
        config.bundles.checkout,
        config.bundles.paths.map((path) => ({ path })),
      ),
    );
  const source = templates.system_template;
  const values = { ...templateValues(config, task, ""), command_docs: renderCommandDocs(docs) };
  let system = renderJinja(source, values, "system_template");
  const documented = source.includes("command_docs");
  if (config.actionFormat === "xml" && !documented && !source.includes("<function=")) {
    system += `\n\nYou have access to the following functions:\n\n${renderXmlFunctionDocs(docs)}\n\n\n${XML_CALL_FORMAT}`;
  }
  if (config.actionFormat === "text" && !documented && !source.includes("```"))
    system += `\n\nYou can use these tools:\n\n${textToolDocs(tools)}`;
  return system;
}

/** What every template may use (SWE-agent's format dict): the task, the state, the env variables. */
function templateValues(config: AgentConfig, task: AgentTask, system: string): Record<string, unknown> {
  return {
    ...config.envVariables,
    working_dir: task.repoRoot,
    problem_statement: task.problemStatement,
    repo: task.repoRoot.replace(/^\//, ""),
    system,
  };
}

/** The observation messages (the task and every answer) are what history processors may shorten. */
function historyEntry(message: ChatCompletionMessageParam): { message: ChatCompletionMessageParam; observation: boolean } {
  return { message, observation: message.role === "user" || message.role === "tool" };
}

/** The model's turn as it goes back into the history: a reasoning parser's text restored in front, as the model wrote it. */
function assistantTurn(reply: ModelCallResult): ChatCompletionMessageParam {
  const turn = toAssistantParam(reply.message);
  const reasoning = reply.message.reasoningContent;
  if (reasoning) turn.content = `<think>${reasoning}</think>${reply.message.content ?? ""}`;
  return turn;
}

function stepRecord(step: number, messageCount: number, reply: ModelCallResult, parsed: ParseOutcome): TrajectoryStep {
  return {
    step,
    message_count: messageCount,
    messages_added: [],
    temporary_messages: [],
    response: {
      content: reply.message.content,
      reasoning_content: reply.message.reasoningContent ?? null,
      tool_calls: reply.message.toolCalls,
      finish_reason: reply.finishReason,
      raw: reply.raw,
    },
    usage: reply.usage && {
      prompt_tokens: reply.usage.promptTokens,
      completion_tokens: reply.usage.completionTokens,
      cached_prompt_tokens: reply.usage.cachedPromptTokens,
    },
    model_latency_ms: reply.latencyMs,
    attempts: reply.attempts,
    max_tokens: reply.maxTokens,
    thought: parsed.ok ? parsed.thought : null,
    action: parsed.ok ? { tool: parsed.action.name, args: parsed.action.args, source: parsed.action.source } : null,
    format_error: parsed.ok ? null : { code: parsed.error.code, message: parsed.error.detail },
    observation: null,
    observation_sent: null,
    tool_ms: 0,
  };
}

/** `export K='v' …` for the shell. */
function exportLine(variables: Record<string, string>): string {
  return `export ${Object.entries(variables)
    .map(([key, value]) => `${key}='${value.replaceAll("'", "'\\''")}'`)
    .join(" ")}`;
}

/**
 * What the user typed meanwhile becomes one user turn. It is recorded at the end of the previous
 * step (or with the initial messages), so each step's request is still the initial messages plus
 * the messages the earlier steps added.
 */
function deliverUserMessages(hooks: AgentHooks, messages: ChatCompletionMessageParam[], trajectory: Trajectory): void {
  const typed = hooks.takeUserMessages?.() ?? [];
  if (typed.length === 0) return;
  const message = { role: "user" as const, content: typed.join("\n\n") };
  messages.push(message);
  const last = trajectory.steps.at(-1);
  if (last) last.messages_added.push(message);
  else trajectory.initial_messages.push(message);
}
