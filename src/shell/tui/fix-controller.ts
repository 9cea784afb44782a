import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { AgentHooks, EpisodeOutcome } from "../../../scaffold/agent.ts";
import type { Trajectory, TrajectoryStep } from "../../../scaffold/trajectory.ts";
import { isEdit } from "./action-summary.ts";
import { needsApproval, nextMode, type ApprovalMode } from "./approval.ts";
import { fileDiff, predictEdit } from "./edit-diff.ts";
import type { ApplyResult } from "./fix-session.ts";
import type { SessionRecord } from "./session-store.ts";

/** What the controller needs of a session: FixSession, or a replay in the bench. */
export interface SessionPort {
  readonly record: SessionRecord;
  readonly conversation: Trajectory | null;
  /** The model's settings, for /model and the footer. */
  readonly modelInfo: { baseURL: string; model: string | null; maxModelLen: number | null; settings: Record<string, unknown> };
  readonly stepLimit: number;
  run(input: {
    hooks?: AgentHooks;
    signal?: AbortSignal;
    onStep?: (step: TrajectoryStep) => void;
    fresh?: boolean;
  }): Promise<EpisodeOutcome>;
  newTask(task: string): Promise<void>;
  patch(): Promise<string>;
  applyToHost(patch?: string): Promise<ApplyResult>;
  readFile(path: string): Promise<string | null>;
  restoreFile(path: string, content: string | null): Promise<void>;
}

/** A finished item, printed once above the live area (ink's <Static>). */
export type Entry =
  | { id: number; kind: "step"; step: TrajectoryStep; diff: string | null }
  | { id: number; kind: "user"; text: string }
  | { id: number; kind: "note"; text: string; tone: "info" | "good" | "bad" }
  | { id: number; kind: "diff"; title: string; diff: string };

type NewEntry = Entry extends infer E ? (E extends Entry ? Omit<E, "id"> : never) : never;

export interface PendingApproval {
  tool: string;
  args: Record<string, unknown>;
  step: number;
  /** The edit as a diff, when the action is an edit that would apply. */
  diff: string | null;
  /** The user said no and is typing feedback. */
  askingFeedback: boolean;
}

/** A long text opened full-size in the live area (an observation, /diff, /help), scrolled by keys. */
export interface Pager {
  title: string;
  lines: string[];
  top: number;
  /** Colour diff lines. */
  diff: boolean;
}

export type Phase = "idle" | "thinking" | "running" | "approval" | "waiting" | "finished";

export interface ViewState {
  phase: Phase;
  mode: ApprovalMode;
  entries: Entry[];
  /** The model's reply so far, while it streams. */
  streaming: string;
  /** The action running now (after approval). */
  running: { tool: string; args: Record<string, unknown>; since: number } | null;
  approval: PendingApproval | null;
  pager: Pager | null;
  queued: string[];
  step: number;
  contextTokens: number;
  promptTokens: number;
  completionTokens: number;
  startedAt: number;
  /** A Ctrl-C was pressed: the next one quits. */
  quitArmed: boolean;
  /** Shown in the status line until the next action. */
  hint: string | null;
}

const HELP = [
  "Keys",
  "  Enter        send what you typed (while the agent works, it is delivered as the next user turn)",
  "  Esc          stop what runs now (the model's reply or the command, killed in the container)",
  "  Ctrl-C       twice: quit and remove the container",
  "  Shift-Tab    next approval mode (suggest → auto-edit → full-auto)",
  "  Ctrl-O       open the last step's whole output (↑ ↓ PgUp PgDn to scroll, Esc to close)",
  "  y / n        approve / reject an action (after n, type feedback for the model, or just Enter)",
  "",
  "Commands",
  "  /help              this help",
  "  /diff              the whole patch so far",
  "  /apply             apply the patch to the host repository (refused if its files changed there)",
  "  /save FILE         write the patch to FILE",
  "  /undo              revert the agent's last edit in the container",
  "  /mode [MODE]       show or set the approval mode: suggest, auto-edit, full-auto",
  "  /model             the model and its settings",
  "  /show N            open step N's whole output",
  "  /clear             start a new task in the same container",
  "  /quit              quit and remove the container",
];

const QUIT_HINT = "press Ctrl-C again to quit (the container is removed)";

/**
 * The state of an interactive session and every action the UI can take on it. The agent runs
 * through hooks on this object; the UI renders `state` and calls the methods. Plain TypeScript,
 * so the behaviour is testable without a terminal.
 */
export class FixController {
  state: ViewState;
  private listeners = new Set<() => void>();
  private version = 0;
  private nextId = 1;
  private stepAbort: AbortController | null = null;
  private readonly quit = new AbortController();
  private approvalAnswer: ((verdict: { approved: true } | { approved: false; feedback?: string }) => void) | null = null;
  private userWait: (() => void) | null = null;
  private agentRun: Promise<void> | null = null;
  /** Files as they were before each edit that ran, for /undo. */
  private undoStack: Array<{ path: string; before: string | null }> = [];
  private beforeEdit: { path: string; before: string | null } | null = null;
  private newTaskNext = false;
  private streamTimer: NodeJS.Timeout | null = null;
  private exitCode = 0;
  private resolveDone!: (code: number) => void;
  /** Resolves with the exit code when the user quits. */
  readonly done: Promise<number>;

  constructor(
    readonly session: SessionPort,
    mode: ApprovalMode,
    readonly options: { exportHint: string; now?: () => number; streamFrameMs?: number } = { exportHint: "" },
  ) {
    const now = options.now ?? Date.now;
    this.state = {
      phase: "idle",
      mode,
      entries: [],
      streaming: "",
      running: null,
      approval: null,
      pager: null,
      queued: [],
      step: session.conversation?.steps.length ?? 0,
      contextTokens: 0,
      promptTokens: 0,
      completionTokens: 0,
      startedAt: now(),
      quitArmed: false,
      hint: null,
    };
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    const earlier = session.conversation;
    if (earlier) {
      for (const step of earlier.steps) this.addStepTotals(step);
      this.push({
        kind: "note",
        text: `resumed session ${session.record.session_id}: ${earlier.steps.length} earlier steps (last: ${earlier.exit_status ?? "open"})`,
        tone: "info",
      });
      for (const step of earlier.steps) this.push({ kind: "step", step, diff: null });
      this.push({ kind: "note", text: "type a message to continue the conversation", tone: "info" });
    }
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  getVersion = (): number => this.version;

  private changed(): void {
    this.version++;
    for (const listener of this.listeners) listener();
  }

  private set(patch: Partial<ViewState>): void {
    this.state = { ...this.state, ...patch };
    this.changed();
  }

  private push(entry: NewEntry): void {
    this.state = { ...this.state, entries: [...this.state.entries, { ...entry, id: this.nextId++ } as Entry] };
    this.changed();
  }

  note(text: string, tone: "info" | "good" | "bad" = "info"): void {
    this.push({ kind: "note", text, tone });
  }

  /** Starts the agent on the session's task when there is one (-m, --issue, --instance). */
  start(): void {
    if (this.session.conversation) return;
    if (this.session.record.task.trim()) {
      this.push({ kind: "user", text: this.session.record.task });
      this.launch(true);
    } else {
      this.note("describe the bug to fix, then press Enter (/help for keys and commands)");
    }
  }

  // ---- the agent, through its hooks -------------------------------------------------------

  private hooks(): AgentHooks {
    return {
      approve: (action, step) => this.approve(action.tool, action.args, step),
      takeUserMessages: () => {
        const queued = this.state.queued;
        if (queued.length > 0) {
          for (const text of queued) this.push({ kind: "user", text });
          this.set({ queued: [] });
        }
        return queued;
      },
      stepSignal: () => {
        this.stepAbort = new AbortController();
        this.set({ phase: "thinking", streaming: "", running: null, hint: null });
        return this.stepAbort.signal;
      },
      waitForUser: () =>
        new Promise<void>((resolve) => {
          this.userWait = resolve;
          this.set({
            phase: "waiting",
            running: null,
            approval: null,
            streaming: "",
            // A Ctrl-C that stopped the step has armed quitting: that is what the next key does.
            hint: this.state.quitArmed ? QUIT_HINT : "stopped: type a message (or just Enter) to go on",
          });
        }),
      onDelta: (delta) => this.onDelta(delta.text),
      onAction: (action) => this.set({ phase: "running", running: { tool: action.tool, args: action.args, since: Date.now() } }),
    };
  }

  private pendingStream = "";
  /** The steps' entries, pushed one after another. */
  private stepEntries: Promise<void> = Promise.resolve();
  private onDelta(text: string): void {
    // Streamed pieces arrive far faster than a terminal redraws: batch them per frame.
    this.pendingStream += text;
    if (this.streamTimer) return;
    this.streamTimer = setTimeout(() => {
      this.streamTimer = null;
      this.set({ streaming: this.state.streaming + this.pendingStream });
      this.pendingStream = "";
    }, this.options.streamFrameMs ?? 33);
  }

  private async approve(tool: string, args: Record<string, unknown>, step: number) {
    this.flushStream();
    let diff: string | null = null;
    this.beforeEdit = null;
    if (isEdit(tool, args) && typeof args.path === "string") {
      const before = await this.session.readFile(args.path).catch(() => null);
      this.beforeEdit = { path: args.path, before };
      const after = predictEdit(args, before);
      diff = after === null ? null : fileDiff(this.relative(args.path), before, after);
    }
    if (!needsApproval(this.state.mode, tool, args)) return { approved: true as const };
    return new Promise<{ approved: true } | { approved: false; feedback?: string }>((resolve) => {
      this.approvalAnswer = (verdict) => {
        this.approvalAnswer = null;
        this.set({ approval: null });
        resolve(verdict);
      };
      this.set({ phase: "approval", approval: { tool, args, step, diff, askingFeedback: false } });
    });
  }

  /** A container path as the repository's own (what git and the host call it). */
  private relative(path: string): string {
    const root = this.session.record.workdir.replace(/\/+$/, "");
    return path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path;
  }

  private flushStream(): void {
    if (this.streamTimer) clearTimeout(this.streamTimer);
    this.streamTimer = null;
    this.pendingStream = "";
  }

  /**
   * A step ended. The live area clears at once: the next step may start (and show its running
   * line) while an edit's diff is still being read from the sandbox. Entries are pushed in step
   * order all the same.
   */
  private onStep(step: TrajectoryStep): Promise<void> {
    this.flushStream();
    this.set({ streaming: "", running: null, step: step.step });
    const edit = this.beforeEdit;
    this.beforeEdit = null;
    const diff =
      edit &&
      step.action &&
      isEdit(step.action.tool, step.action.args) &&
      step.observation !== null &&
      !/^The user rejected|interrupted by the user/.test(step.observation)
        ? this.session
            .readFile(edit.path)
            .catch(() => null)
            .then((after) => {
              const text = fileDiff(this.relative(edit.path), edit.before, after) || null;
              if (text) this.undoStack.push(edit);
              return text;
            })
        : Promise.resolve(null);
    this.stepEntries = this.stepEntries.then(async () => {
      this.addStepTotals(step);
      this.push({ kind: "step", step, diff: await diff });
    });
    return this.stepEntries;
  }

  private addStepTotals(step: TrajectoryStep): void {
    if (!step.usage) return;
    this.state.promptTokens += step.usage.prompt_tokens;
    this.state.completionTokens += step.usage.completion_tokens;
    this.state.contextTokens = step.usage.prompt_tokens + step.usage.completion_tokens;
  }

  /** Runs the agent in the background until it ends; `fresh` starts a new conversation. */
  private launch(fresh: boolean): void {
    const steps: Array<Promise<void>> = [];
    this.set({ phase: "thinking", hint: null });
    this.agentRun = this.session
      .run({ hooks: this.hooks(), signal: this.quit.signal, fresh, onStep: (step) => steps.push(this.onStep(step)) })
      .then(async (outcome) => {
        await Promise.all(steps);
        this.finished(outcome);
      })
      .catch((error: unknown) => {
        this.note(`the agent stopped with an error: ${(error as Error).message}`, "bad");
        this.set({ phase: "finished" });
      });
  }

  private finished(outcome: EpisodeOutcome): void {
    if (this.quit.signal.aborted) return;
    const good = outcome.exitStatus === "submitted";
    const lines = outcome.patch?.trim() ? outcome.patch.trim().split("\n").length : 0;
    this.note(
      `${outcome.exitStatus}: ${outcome.exitMessage ?? ""}${lines ? ` · patch of ${lines} lines: /diff to read it, /apply to apply it, /save FILE to keep it` : " · no changes"} · type to continue`,
      good ? "good" : "bad",
    );
    this.set({ phase: "finished", streaming: "", running: null, approval: null });
  }

  // ---- what the user does ----------------------------------------------------------------

  /** Enter in the input line. */
  async submit(text: string): Promise<void> {
    const approval = this.state.approval;
    if (approval?.askingFeedback) {
      this.approvalAnswer?.({ approved: false, feedback: text });
      return;
    }
    const trimmed = text.trim();
    if (trimmed.startsWith("/")) return this.command(trimmed);
    if (this.state.phase === "waiting") {
      if (trimmed) this.set({ queued: [...this.state.queued, trimmed] });
      const resume = this.userWait;
      this.userWait = null;
      this.set({ phase: "thinking", hint: null });
      resume?.();
      return;
    }
    if (!trimmed) return;
    if (this.state.phase === "idle" || this.state.phase === "finished") {
      if (this.newTaskNext || !this.session.conversation) {
        // A task of its own: the first one, or a new one after /clear.
        await this.session.newTask(trimmed);
        this.newTaskNext = false;
        this.push({ kind: "user", text: trimmed });
        this.launch(true);
      } else {
        // A follow-up: the conversation goes on with this as the next user turn.
        this.set({ queued: [...this.state.queued, trimmed] });
        this.launch(false);
      }
      return;
    }
    this.set({ queued: [...this.state.queued, trimmed], hint: "queued: it goes to the model as the next user turn" });
  }

  /** y / n while an approval is pending. */
  answer(approved: boolean): void {
    if (!this.state.approval || this.state.approval.askingFeedback) return;
    if (approved) this.approvalAnswer?.({ approved: true });
    else
      this.set({
        approval: { ...this.state.approval, askingFeedback: true },
        hint: "rejected: type feedback for the model (or just Enter)",
      });
  }

  /** Esc: close the pager, or stop what runs now. */
  interrupt(): void {
    if (this.state.pager) {
      this.set({ pager: null });
      return;
    }
    if (!["thinking", "running", "approval"].includes(this.state.phase)) return;
    this.stepAbort?.abort();
    this.flushStream();
    if (this.approvalAnswer) this.approvalAnswer({ approved: false });
    this.set({ hint: this.state.phase === "running" ? "stopping the command…" : "stopping…" });
  }

  /** Ctrl-C: the first stops what runs; the second quits. */
  ctrlC(): void {
    if (this.state.quitArmed) {
      void this.shutdown(130);
      return;
    }
    this.interrupt();
    this.set({ quitArmed: true, hint: QUIT_HINT });
  }

  cycleMode(): void {
    this.setMode(nextMode(this.state.mode));
  }

  setMode(mode: ApprovalMode): void {
    this.set({ mode, hint: `approval mode: ${mode}` });
    // An action waiting for approval that the new mode would run goes ahead.
    const pending = this.state.approval;
    if (pending && !pending.askingFeedback && !needsApproval(mode, pending.tool, pending.args)) this.approvalAnswer?.({ approved: true });
  }

  disarmQuit(): void {
    if (this.state.quitArmed) this.set({ quitArmed: false });
  }

  openStep(n?: number): void {
    const pending = this.state.approval;
    if (n === undefined && pending?.diff) {
      this.set({
        pager: {
          title: `the edit step ${pending.step} wants to make`,
          lines: pending.diff.replace(/\n$/, "").split("\n"),
          top: 0,
          diff: true,
        },
      });
      return;
    }
    const steps = this.state.entries.filter((e): e is Extract<Entry, { kind: "step" }> => e.kind === "step");
    const entry = n === undefined ? steps.at(-1) : steps.find((e) => e.step.step === n);
    if (!entry) {
      this.set({ hint: n === undefined ? "no step yet" : `no step ${n}` });
      return;
    }
    const text = [entry.step.observation ?? entry.step.format_error?.message ?? ""].join("");
    this.set({ pager: { title: `step ${entry.step.step} output`, lines: text.split("\n"), top: 0, diff: false } });
  }

  scroll(delta: number, pageRows: number): void {
    const pager = this.state.pager;
    if (!pager) return;
    const top = Math.max(0, Math.min(pager.top + delta, Math.max(0, pager.lines.length - pageRows)));
    if (top !== pager.top) this.set({ pager: { ...pager, top } });
  }

  async command(line: string): Promise<void> {
    const [name, ...rest] = line.slice(1).split(/\s+/);
    const arg = rest.join(" ").trim();
    try {
      switch (name) {
        case "help":
          this.set({ pager: { title: "help", lines: HELP, top: 0, diff: false } });
          return;
        case "diff": {
          const patch = await this.session.patch();
          if (!patch.trim()) this.note("no changes yet");
          else this.set({ pager: { title: "the patch so far", lines: patch.replace(/\n$/, "").split("\n"), top: 0, diff: true } });
          return;
        }
        case "apply": {
          const result = await this.session.applyToHost();
          this.note(
            result.applied ? `applied to ${this.session.record.repo_path}: ${result.files.join(", ")}` : result.reason,
            result.applied ? "good" : "bad",
          );
          return;
        }
        case "save": {
          if (!arg) return this.note("/save needs a file name: /save fix.diff", "bad");
          const patch = await this.session.patch();
          await writeFile(resolve(arg), patch);
          this.note(`patch written to ${resolve(arg)} (${patch.split("\n").length - 1} lines)`, "good");
          return;
        }
        case "undo":
          return await this.undo();
        case "mode": {
          if (!arg) return this.note(`approval mode: ${this.state.mode} (suggest, auto-edit, full-auto)`);
          if (!["suggest", "auto-edit", "full-auto"].includes(arg))
            return this.note(`/mode: expected suggest, auto-edit or full-auto, got "${arg}"`, "bad");
          this.setMode(arg as ApprovalMode);
          return;
        }
        case "model": {
          const info = this.session.modelInfo;
          this.note(
            `model ${info.model ?? "(first served)"} at ${info.baseURL} · max_model_len ${info.maxModelLen ?? "?"} · ${Object.entries(
              info.settings,
            )
              .map(([k, v]) => `${k} ${v}`)
              .join(" · ")}`,
          );
          return;
        }
        case "show":
          this.openStep(arg ? Number(arg) : undefined);
          return;
        case "clear":
          if (!["idle", "finished"].includes(this.state.phase))
            return this.note("/clear: stop the agent first (Esc), or wait until it finishes", "bad");
          this.newTaskNext = true;
          this.note("── new task in the same container: describe it and press Enter ──");
          return;
        case "quit":
          await this.shutdown(0);
          return;
        default:
          this.note(`unknown command /${name}: /help lists them`, "bad");
      }
    } catch (error) {
      this.note(`/${name} failed: ${(error as Error).message}`, "bad");
    }
  }

  private async undo(): Promise<void> {
    if (["thinking", "running"].includes(this.state.phase)) return this.note("/undo: stop the agent first (Esc)", "bad");
    const last = this.undoStack.pop();
    if (!last) return this.note("/undo: no edit of the agent's to revert", "bad");
    const now = await this.session.readFile(last.path);
    await this.session.restoreFile(last.path, last.before);
    this.push({
      kind: "diff",
      title: `reverted the last edit of ${last.path}`,
      diff: fileDiff(this.relative(last.path), now, last.before),
    });
    // The model must know, or it would believe its edit is still there.
    this.set({ queued: [...this.state.queued, `I reverted your last edit to ${last.path}; it is back to what it was before that edit.`] });
  }

  /** Stops the agent, lets the caller remove the container, and ends the UI. */
  async shutdown(code: number): Promise<void> {
    this.exitCode = code;
    this.quit.abort();
    this.stepAbort?.abort();
    this.approvalAnswer?.({ approved: false });
    this.userWait?.();
    this.set({ hint: "quitting: removing the container…" });
    await this.agentRun?.catch(() => undefined);
    this.resolveDone(this.exitCode);
  }
}
