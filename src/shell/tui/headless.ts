import type { EpisodeOutcome } from "../../../scaffold/agent.ts";
import type { TrajectoryStep } from "../../../scaffold/trajectory.ts";
import { abortOnSignals } from "../commands/interrupt.ts";
import { exitCodeFor, FIX_EXIT } from "./exit-codes.ts";
import type { FixSession } from "./fix-session.ts";
import { actionSummary } from "./action-summary.ts";
import type { SessionGrade } from "./grade-session.ts";

export type OutputFormat = "text" | "json" | "stream-json";

export interface HeadlessOptions {
  format: OutputFormat;
  apply: boolean;
  /** SWE-bench mode: grade the patch with the official rules at the end. */
  grade?: (patch: string) => Promise<SessionGrade>;
  /** Where stdout/stderr go (tests and the CLI pass process streams). */
  out: (text: string) => void;
  err: (text: string) => void;
  /** The command that exports this session, shown at the end. */
  exportHint: string;
}

/** The final result, as printed in JSON (snake_case, like every file we write). */
export interface HeadlessResult {
  session_id: string;
  instance_id: string;
  exit_status: string;
  exit_message: string | null;
  exit_code: number;
  steps: number;
  patch: string | null;
  applied: boolean | null;
  apply_message: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  elapsed_ms: number;
  trajectory_path: string;
  /** With --grade: the official verdict (null when not graded). */
  grade: SessionGrade | null;
}

/**
 * Runs the agent with no one watching (full-auto), for scripts and CI: progress on stderr (text)
 * or as JSON lines (stream-json), then the patch, the JSON result, or the patch applied.
 */
export async function runHeadless(session: FixSession, trajectoryPath: string, options: HeadlessOptions): Promise<number> {
  const started = Date.now();
  const { format } = options;
  const emit = (event: Record<string, unknown>) => options.out(JSON.stringify(event) + "\n");
  if (format === "stream-json") {
    emit({
      type: "session_started",
      session_id: session.record.session_id,
      image: session.record.image,
      workdir: session.record.workdir,
      network: session.record.network,
    });
  }
  const onStep = (step: TrajectoryStep) => {
    if (format === "stream-json") {
      emit({
        type: "step",
        step: step.step,
        thought: step.response.content,
        action: step.action ? { tool: step.action.tool, args: step.action.args } : null,
        format_error: step.format_error?.message ?? null,
        observation: step.observation,
        prompt_tokens: step.usage?.prompt_tokens ?? null,
        completion_tokens: step.usage?.completion_tokens ?? null,
      });
    } else if (format === "text") {
      options.err(
        `step ${step.step}  ${step.action ? actionSummary(step.action.tool, step.action.args) : `format error: ${step.format_error?.code}`}\n`,
      );
    }
  };

  const interrupt = abortOnSignals(() =>
    options.err("\ninterrupted: stopping the agent and removing the container (Ctrl-C again to exit now)\n"),
  );
  let outcome: EpisodeOutcome;
  try {
    outcome = await session.run({ signal: interrupt.signal, onStep });
  } finally {
    interrupt.dispose();
  }

  let code = exitCodeFor(outcome.exitStatus);
  let applied: boolean | null = null;
  let applyMessage: string | null = null;
  if (options.apply && outcome.patch !== null && code !== FIX_EXIT.interrupted) {
    const result = await session.applyToHost(outcome.patch);
    applied = result.applied;
    applyMessage = result.applied ? `applied to ${session.record.repo_path}: ${result.files.join(", ")}` : result.reason;
    if (!result.applied && outcome.patch.trim() !== "") code = code === FIX_EXIT.submitted ? FIX_EXIT.applyRefused : code;
  }
  let grade: SessionGrade | null = null;
  if (options.grade && outcome.patch !== null && code !== FIX_EXIT.interrupted) {
    if (format === "text") options.err("grading the patch with the official rules…\n");
    grade = await options.grade(outcome.patch);
  }
  const usage = outcome.trajectory.steps.reduce(
    (sum, step) => ({
      prompt: sum.prompt + (step.usage?.prompt_tokens ?? 0),
      completion: sum.completion + (step.usage?.completion_tokens ?? 0),
    }),
    { prompt: 0, completion: 0 },
  );
  const result: HeadlessResult = {
    session_id: session.record.session_id,
    instance_id: session.record.instance_id,
    exit_status: outcome.exitStatus,
    exit_message: outcome.exitMessage,
    exit_code: code,
    steps: outcome.trajectory.steps.length,
    patch: outcome.patch,
    applied,
    apply_message: applyMessage,
    prompt_tokens: usage.prompt,
    completion_tokens: usage.completion,
    elapsed_ms: Date.now() - started,
    trajectory_path: trajectoryPath,
    grade,
  };

  if (format === "json") options.out(JSON.stringify(result, null, 1) + "\n");
  else if (format === "stream-json") emit({ type: "result", ...result });
  else {
    if (!options.apply && outcome.patch) options.out(outcome.patch);
    options.err(
      [
        `${outcome.exitStatus}: ${outcome.exitMessage ?? ""} (${result.steps} steps, ${(result.elapsed_ms / 1000).toFixed(1)} s)`,
        applyMessage,
        grade &&
          (grade.resolved === null
            ? `not graded: ${grade.error}`
            : `graded: ${grade.resolved ? "resolved" : "not resolved"} (logs in ${grade.log_dir})`),
        `session ${result.session_id} saved; ${options.exportHint}`,
      ]
        .filter(Boolean)
        .join("\n") + "\n",
    );
  }
  return code;
}
