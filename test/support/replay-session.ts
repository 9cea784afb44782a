import { setTimeout as delay } from "node:timers/promises";
import type { AgentHooks, EpisodeOutcome } from "../../scaffold/agent.ts";
import { TRAJECTORY_FORMAT, type Trajectory, type TrajectoryStep } from "../../scaffold/trajectory.ts";
import type { SessionPort } from "../../src/shell/tui/fix-controller.ts";
import type { ApplyResult } from "../../src/shell/tui/fix-session.ts";
import type { SessionRecord } from "../../src/shell/tui/session-store.ts";

/** What a replayed step does: the reply (streamed in pieces), the action, its output. */
export interface ReplayStep {
  thought: string;
  tool: string;
  args: Record<string, unknown>;
  output: string;
  /** For edits: the file's content after the step. */
  writes?: { path: string; content: string };
  /** Milliseconds the "command" takes (interruptible). */
  ms?: number;
}

/**
 * A session that plays recorded steps through the agent's hooks exactly as runAgent calls them
 * (step signal, streamed deltas, approval, action, step record), with no model or container:
 * for component tests and the TUI bench. Rejections and interruptions are recorded.
 */
export class ReplaySession implements SessionPort {
  readonly record: SessionRecord;
  conversation: Trajectory | null = null;
  readonly modelInfo = {
    baseURL: "http://127.0.0.1:1/v1",
    model: "replay-model",
    maxModelLen: 32_768,
    settings: { temperature: 0, max_tokens: 4096, stream: true },
  };
  readonly files = new Map<string, string>();
  /** What the agent was told instead of an output: rejections with feedback, interruptions. */
  readonly refusals: Array<{ step: number; observation: string }> = [];
  readonly userTurns: string[] = [];
  applied = 0;

  constructor(
    readonly steps: ReplayStep[],
    readonly options: { stepLimit?: number; chunk?: number; deltaDelayMs?: number } = {},
  ) {
    const now = new Date().toISOString();
    this.record = {
      format: "bottega-fix-session/1",
      session_id: "fix-replay",
      instance_id: "replay",
      created_at: now,
      updated_at: now,
      repo_path: "/host/repo",
      dataset: null,
      image: "bottega/python-base:3.11",
      workdir: "/testbed",
      network: "none",
      setup: null,
      host_head: null,
      start_patch: null,
      model: { base_url: this.modelInfo.baseURL, model: "replay-model" },
      approval: "suggest",
      task: "",
      exit_status: null,
      steps: 0,
    };
  }

  get stepLimit(): number {
    return this.options.stepLimit ?? 100;
  }

  private cursor = 0;

  async run(input: { hooks?: AgentHooks; signal?: AbortSignal; onStep?: (step: TrajectoryStep) => void }): Promise<EpisodeOutcome> {
    const hooks = input.hooks ?? {};
    const trajectory: Trajectory = this.conversation ?? {
      format: TRAJECTORY_FORMAT,
      instance_id: "replay",
      config: {},
      task: { problem_statement: this.record.task, repo_root: "/testbed", base_commit: null, start_commit: null },
      tools: [],
      initial_messages: [],
      steps: [],
      exit_status: null,
      exit_message: null,
      patch: null,
      started_at: new Date().toISOString(),
      finished_at: null,
    };
    let status: EpisodeOutcome["exitStatus"] = "submitted";
    while (this.cursor < this.steps.length) {
      if (input.signal?.aborted) {
        status = "exit_interrupted";
        break;
      }
      this.userTurns.push(...(hooks.takeUserMessages?.() ?? []));
      const stepSignal = hooks.stepSignal?.();
      const recorded = this.steps[this.cursor++]!;
      const n = trajectory.steps.length + 1;
      const chunk = this.options.chunk ?? 16;
      for (let i = 0; i < recorded.thought.length; i += chunk) {
        hooks.onDelta?.({ kind: "content", text: recorded.thought.slice(i, i + chunk) });
        if (this.options.deltaDelayMs) await delay(this.options.deltaDelayMs);
      }
      const verdict = hooks.approve ? await hooks.approve({ tool: recorded.tool, args: recorded.args }, n) : { approved: true as const };
      let observation = recorded.output;
      if (stepSignal?.aborted) observation = "The command was interrupted by the user.";
      else if (!verdict.approved)
        observation = `The user rejected this action.${verdict.feedback ? ` Their feedback: ${verdict.feedback}` : ""}`;
      else {
        hooks.onAction?.({ tool: recorded.tool, args: recorded.args }, n);
        if (recorded.writes) this.files.set(recorded.writes.path, recorded.writes.content);
        if (recorded.ms) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, recorded.ms);
            stepSignal?.addEventListener("abort", () => {
              clearTimeout(timer);
              resolve();
            });
          });
          if (stepSignal?.aborted) observation = "The command was interrupted by the user.";
        }
      }
      if (observation !== recorded.output) this.refusals.push({ step: n, observation });
      const step: TrajectoryStep = {
        step: n,
        message_count: 0,
        messages_added: [],
        temporary_messages: [],
        response: { content: recorded.thought, reasoning_content: null, tool_calls: [], finish_reason: "tool_calls", raw: null },
        usage: { prompt_tokens: 300 * n, completion_tokens: 50, cached_prompt_tokens: null },
        model_latency_ms: 1,
        attempts: 1,
        max_tokens: 4096,
        thought: recorded.thought,
        action: { tool: recorded.tool, args: recorded.args, source: "native" },
        format_error: null,
        observation,
        observation_sent: observation,
        tool_ms: 0,
      };
      trajectory.steps.push(step);
      input.onStep?.(step);
      if (stepSignal?.aborted && !input.signal?.aborted) await hooks.waitForUser?.();
    }
    this.conversation = trajectory;
    trajectory.exit_status = status;
    return {
      exitStatus: status,
      exitMessage: status === "submitted" ? "the agent submitted" : "stopped by the user",
      patch: "",
      trajectory,
    };
  }

  async newTask(task: string): Promise<void> {
    this.record.task = task;
  }
  async patch(): Promise<string> {
    return "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-old\n+new\n";
  }
  async applyToHost(): Promise<ApplyResult> {
    this.applied++;
    return { applied: true, files: ["x.py"] };
  }
  async readFile(path: string): Promise<string | null> {
    return this.files.get(path) ?? null;
  }
  async restoreFile(path: string, content: string | null): Promise<void> {
    if (content === null) this.files.delete(path);
    else this.files.set(path, content);
  }
}
