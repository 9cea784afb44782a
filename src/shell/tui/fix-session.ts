import type { ModelClient } from "../../foundation/model/model-client.ts";
import { openSandboxBackend } from "../../foundation/sandbox/open-backend.ts";
import type { Sandbox, ShellSession } from "../../foundation/sandbox/sandbox.ts";
import { runAgent, type AgentConfig, type AgentHooks, type EpisodeOutcome } from "../../../scaffold/agent.ts";
import { salvagePatch } from "../../../scaffold/patch.ts";
import { profileTools } from "../../../scaffold/profiles.ts";
import type { Templates } from "../../../scaffold/templates.ts";
import { shellQuote } from "../../../scaffold/tools/shell-quote.ts";
import type { Tool, ToolContext } from "../../../scaffold/tools/tool.ts";
import type { Trajectory, TrajectoryStep } from "../../../scaffold/trajectory.ts";
import { hostGit, repoArchive, touchedPaths } from "./host-git.ts";
import type { SessionRecord, SessionStore } from "./session-store.ts";

/** SWE-bench images keep their environment in conda; elsewhere this is a no-op. */
const ACTIVATE = "source /opt/miniconda3/bin/activate 2>/dev/null && conda activate testbed 2>/dev/null";
/** Commits inside the container need an identity; the user's own is none of the container's business. */
const GIT_ID = "git -c user.name=bottega -c user.email=bottega@localhost -c commit.gpgsign=false";

export interface FixSessionOptions {
  store: SessionStore;
  record: SessionRecord;
  model: ModelClient;
  agent: AgentConfig;
  templates?: Partial<Templates>;
  reviewOnSubmit: boolean;
  /** A saved conversation to continue (`--resume`); its patch is replayed into the container. */
  resume?: Trajectory | null;
  /** Progress lines while the container is prepared. */
  log?: (line: string) => void;
}

export type ApplyResult = { applied: true; files: string[] } | { applied: false; reason: string };

/**
 * One `bottega fix` session: the container with the repository at `workdir`, the agent's tools
 * and shell, the conversation so far. The headless runner and the TUI both drive this.
 */
export class FixSession {
  private trajectory: Trajectory | null;
  private running = false;

  private constructor(
    readonly options: FixSessionOptions,
    readonly record: SessionRecord,
    readonly sandbox: Sandbox,
    private shell: ShellSession,
    readonly tools: Tool[],
    /** The commit the patch is taken against: the host's state when the session started. */
    readonly startCommit: string,
  ) {
    this.trajectory = options.resume ?? null;
  }

  /** Creates the container, brings the repository into it, runs --setup, opens the agent's shell. */
  static async open(options: FixSessionOptions): Promise<FixSession> {
    const log = options.log ?? (() => {});
    const record = { ...options.record };
    const sandboxes = await openSandboxBackend("docker", { runId: record.session_id, network: { agent: record.network }, user: "root" });
    // Containers of sessions and runs whose process died (a crash, kill -9) go; not waited for.
    void sandboxes.reapDead().catch(() => undefined);
    log(`starting a container from ${record.image} (network ${record.network})`);
    const sandbox = await sandboxes.create({ image: record.image, role: "agent", instanceId: record.instance_id });
    try {
      const startCommit = record.repo_path ? await bringRepository(sandbox, record, log) : await imageHead(sandbox, record.workdir);
      if (options.resume?.patch) {
        log("replaying the saved patch");
        await applyInContainer(sandbox, record.workdir, options.resume.patch, "the saved session's patch");
      }
      if (record.setup) {
        log(`running --setup: ${record.setup}`);
        const setup = await sandbox.exec(`{ ${ACTIVATE} || true; }; ${record.setup}`, { cwd: record.workdir, timeoutMs: 1_800_000 });
        if (setup.exitCode !== 0) throw new Error(`--setup failed (exit ${setup.exitCode ?? "timeout"}):\n${setup.output.slice(-2000)}`);
      }
      const shell = await sandbox.openShell({ init: [ACTIVATE, `cd ${shellQuote(record.workdir)}`] });
      const tools = profileTools("swe-agent", {
        commandTimeoutMs: options.agent.commandTimeoutSec * 1000,
        startCommit,
        reviewOnSubmit: options.reviewOnSubmit,
      });
      await options.store.save(record);
      return new FixSession(options, record, sandbox, shell, tools, startCommit);
    } catch (error) {
      await sandbox.remove();
      throw error;
    }
  }

  get conversation(): Trajectory | null {
    return this.trajectory;
  }

  get stepLimit(): number {
    return this.options.agent.stepLimit;
  }

  get modelInfo() {
    const config = this.options.model.config;
    return {
      baseURL: config.baseURL,
      model: config.model ?? this.discoveredModel,
      maxModelLen: config.maxModelLen ?? this.maxModelLen,
      settings: {
        temperature: config.sampling.temperature,
        top_p: config.sampling.topP,
        max_tokens: config.sampling.maxTokens,
        stream: config.stream,
      },
    };
  }

  /** max_model_len as the server reported it (read once at the start). */
  private maxModelLen: number | null = null;

  /** Asks the server for the model and its context size, for the footer and /model. */
  async discoverModel(): Promise<void> {
    try {
      const found = await this.options.model.discover();
      this.maxModelLen = found.maxModelLen;
      if (!this.options.model.config.model) this.discoveredModel = found.model;
    } catch {
      // The first model call reports the same problem, in context.
    }
  }
  private discoveredModel: string | null = null;

  /** What the tools run against; the TUI reads files through it for diffs and /undo. */
  get toolContext(): ToolContext {
    return { sandbox: this.sandbox, repoRoot: this.record.workdir, shell: (command, options) => this.shell.run(command, options) };
  }

  /**
   * Runs the agent until it submits, stops or reaches a limit: a new conversation on the
   * session's task, or the saved one continued (the user's follow-up arrives through the hooks).
   */
  async run(
    input: { hooks?: AgentHooks; signal?: AbortSignal; onStep?: (step: TrajectoryStep) => void; fresh?: boolean } = {},
  ): Promise<EpisodeOutcome> {
    if (this.running) throw new Error("the agent is already running");
    this.running = true;
    try {
      const outcome = await runAgent({
        task: {
          id: this.record.instance_id,
          problemStatement: this.record.task,
          repoRoot: this.record.workdir,
          startCommit: this.startCommit,
        },
        sandbox: this.sandbox,
        shell: this.shell,
        tools: this.tools,
        model: this.options.model,
        templates: this.options.templates,
        config: this.options.agent,
        recordConfig: {
          profile: "swe-agent",
          reviewOnSubmit: this.options.reviewOnSubmit,
          image: this.record.image,
          session: { session_id: this.record.session_id, repo_path: this.record.repo_path, approval: this.record.approval },
          model: { ...this.options.model.config, apiKey: undefined },
        },
        trajectoryPath: this.options.store.trajectoryPath(this.record),
        signal: input.signal,
        onStep: (step) => {
          this.record.steps = step.step;
          input.onStep?.(step);
        },
        resume: input.fresh ? undefined : (this.trajectory ?? undefined),
        hooks: input.hooks,
      });
      this.trajectory = outcome.trajectory;
      this.record.exit_status = outcome.exitStatus;
      this.record.steps = outcome.trajectory.steps.length;
      await this.options.store.save(this.record);
      return outcome;
    } finally {
      this.running = false;
    }
  }

  /** A new task in the same container (`/clear`): the next run starts a fresh conversation under a new id. */
  async newTask(task: string): Promise<void> {
    if (this.trajectory === null && this.record.steps === 0) {
      // Nothing ran yet: this is the session's first task, typed in the UI.
      this.record.task = task;
      await this.options.store.save(this.record);
      return;
    }
    const base = this.record.instance_id.replace(/-task\d+$/, "");
    const n = Number(/-task(\d+)$/.exec(this.record.instance_id)?.[1] ?? 1) + 1;
    this.record.instance_id = `${base}-task${n}`;
    this.record.task = task;
    this.record.exit_status = null;
    this.record.steps = 0;
    this.trajectory = null;
    await this.options.store.save(this.record);
  }

  /** Everything changed in the container since the session started. */
  patch(): Promise<string> {
    return salvagePatch(this.sandbox, this.record.workdir, this.startCommit);
  }

  /**
   * Applies the patch to the host repository with git. Refuses when a file it touches changed on
   * the host since the session started (its content differs from the session's starting point).
   */
  async applyToHost(patch?: string): Promise<ApplyResult> {
    const repo = this.record.repo_path;
    if (!repo) return { applied: false, reason: "this session works on a SWE-bench instance, not a host repository: use /save FILE" };
    const diff = patch ?? (await this.patch());
    if (diff.trim() === "") return { applied: false, reason: "there is nothing to apply: the agent changed no file" };
    const files = touchedPaths(diff);
    const changed = await changedOnHost(this.sandbox, this.record.workdir, this.startCommit, repo, files);
    if (changed.length > 0) {
      return {
        applied: false,
        reason: `not applied: ${changed.join(", ")} changed in ${repo} since the session started; save the patch with /save FILE (or --output-format json) and merge it by hand`,
      };
    }
    try {
      await hostGit(repo, ["apply", "--check", "-"], diff);
      await hostGit(repo, ["apply", "-"], diff);
    } catch (error) {
      return { applied: false, reason: `git apply refused the patch: ${(error as Error).message}` };
    }
    return { applied: true, files: [...new Set(files)] };
  }

  /** The file's content in the container, or null when it does not exist. */
  async readFile(path: string): Promise<string | null> {
    const result = await this.sandbox.exec(`if [ -f ${shellQuote(path)} ]; then cat -- ${shellQuote(path)}; else exit 3; fi`, {
      timeoutMs: 30_000,
    });
    return result.exitCode === 0 ? result.output : null;
  }

  /** Puts a file back as it was (null: removes it), for /undo. */
  async restoreFile(path: string, content: string | null): Promise<void> {
    if (content === null) {
      await this.sandbox.exec(`rm -f -- ${shellQuote(path)}`, { timeoutMs: 30_000 });
      return;
    }
    const temp = `/tmp/.bottega-undo-${process.pid}`;
    await this.sandbox.writeFile(temp, content);
    await this.sandbox.exec(`cat -- ${temp} > ${shellQuote(path)}; rm -f -- ${temp}`, { timeoutMs: 30_000 });
  }

  /** Removes the container (the session stays on disk for --resume). Safe to call twice. */
  async close(): Promise<void> {
    await this.shell.close().catch(() => undefined);
    await this.sandbox.remove();
  }
}

/**
 * Copies the host repository into the container at workdir and commits its current state there
 * (uncommitted changes included), so the patch holds only what the agent changes. A resumed
 * session first goes back to the recorded host state, so its patch replays onto the same files.
 */
async function bringRepository(sandbox: Sandbox, record: SessionRecord, log: (line: string) => void): Promise<string> {
  const repo = record.repo_path!;
  log(`copying ${repo} into the container at ${record.workdir}`);
  const archive = await repoArchive(repo);
  const tarPath = "/tmp/.bottega-repo.tar";
  await sandbox.writeFile(tarPath, archive, 0o600);
  const workdir = shellQuote(record.workdir);
  const unpack = await sandbox.exec(`mkdir -p ${workdir} && tar --no-same-owner -xf ${tarPath} -C ${workdir} && rm -f ${tarPath}`, {
    timeoutMs: 600_000,
  });
  if (unpack.exitCode !== 0) throw new Error(`unpacking the repository in the container failed: ${unpack.output.trim()}`);
  const git = (command: string) => sandbox.exec(`${GIT_ID} ${command}`, { cwd: record.workdir, timeoutMs: 600_000 });

  if (record.host_head === null) {
    // A new session: remember where the host was, so a resume can rebuild the same start.
    const head = await git("rev-parse --verify -q HEAD");
    record.host_head = head.exitCode === 0 ? head.output.trim() : null;
  } else {
    const reset = await git(`reset -q --hard ${record.host_head} && ${GIT_ID} clean -fdq`);
    if (reset.exitCode !== 0)
      throw new Error(`${repo} no longer has commit ${record.host_head}, where the session started: ${reset.output.trim()}`);
    if (record.start_patch)
      await applyInContainer(sandbox, record.workdir, record.start_patch, "the host's uncommitted changes at the session's start");
  }
  const commit = await git(
    `add -A && ${GIT_ID} commit -q --allow-empty --no-verify -m "bottega fix: starting point" && git rev-parse HEAD`,
  );
  if (commit.exitCode !== 0) throw new Error(`recording the starting point in the container failed: ${commit.output.trim()}`);
  const startCommit = commit.output.trim().split("\n").pop()!;
  if (record.start_patch === null) {
    const dirty = record.host_head ? await git(`diff --binary ${record.host_head} ${startCommit}`) : undefined;
    record.start_patch = dirty?.output ?? "";
  }
  return startCommit;
}

/** SWE-bench images hold the repository already; the patch is taken against their HEAD. */
async function imageHead(sandbox: Sandbox, workdir: string): Promise<string> {
  const head = await sandbox.exec("git rev-parse HEAD", { cwd: workdir });
  if (head.exitCode !== 0) throw new Error(`${workdir} in the image is not a git repository: ${head.output.trim()}`);
  return head.output.trim();
}

async function applyInContainer(sandbox: Sandbox, workdir: string, patch: string, what: string): Promise<void> {
  if (patch.trim() === "") return;
  const path = "/tmp/.bottega-replay.diff";
  await sandbox.writeFile(path, patch);
  const result = await sandbox.exec(`git apply --binary ${path} && rm -f ${path}`, { cwd: workdir, timeoutMs: 120_000 });
  if (result.exitCode !== 0) throw new Error(`replaying ${what} failed: ${result.output.trim()}`);
}

/** Touched files whose host content differs from the session's starting point. */
async function changedOnHost(sandbox: Sandbox, workdir: string, startCommit: string, repo: string, files: string[]): Promise<string[]> {
  const atStart = new Map<string, string>();
  const tree = await sandbox.exec(`git ls-tree -z ${startCommit} -- ${files.map(shellQuote).join(" ")}`, {
    cwd: workdir,
    timeoutMs: 60_000,
  });
  for (const entry of tree.output.split("\0").filter(Boolean)) {
    const [meta, path] = entry.split("\t");
    atStart.set(path!, meta!.split(" ")[2]!);
  }
  const changed: string[] = [];
  for (const file of files) {
    let now: string | undefined;
    try {
      now = (await hostGit(repo, ["hash-object", "--", file])).trim();
    } catch {
      now = undefined; // not on the host
    }
    if (now !== atStart.get(file)) changed.push(file);
  }
  return changed;
}
