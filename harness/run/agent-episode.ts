import type { ChatModel } from "../../src/foundation/model/chat-model.ts";
import type { ShellSession } from "../../src/foundation/sandbox/sandbox.ts";
import type { SandboxBackend } from "../../src/foundation/sandbox/sandbox-backend.ts";
import { openingRequest, runAgent, type AgentConfig, type EpisodeOutcome } from "../../scaffold/agent.ts";
import { profileTools, type Profile } from "../../scaffold/profiles.ts";
import type { Templates } from "../../scaffold/templates.ts";
import type { TrajectoryStep } from "../../scaffold/trajectory.ts";
import { QUIET_CONDA_ACTIVATE, REPO_ROOT } from "../evaluation/testbed.ts";
import { setUpBundleEpisode } from "../../scaffold/bundles/bundle-episode.ts";
import { BUILTIN_OBSERVATIONS, type BundleObservations, type ObservationMode } from "../../scaffold/bundles/observation-mode.ts";
import { selectLogParser } from "../grading/parsers/index.ts";
import type { RepoSpec } from "../dataset/repo-spec.ts";
import type { TaskRow } from "../dataset/task-row.ts";

export interface AgentEpisodeOptions {
  sandboxes: SandboxBackend;
  row: TaskRow;
  spec: RepoSpec;
  image: string;
  model: ChatModel;
  profile: Profile;
  agent: AgentConfig;
  templates?: Partial<Templates>;
  reviewOnSubmit: boolean;
  trajectoryPath: string;
  signal?: AbortSignal;
  onStep?: (step: TrajectoryStep) => void;
  /** Send the first model call while the container starts (it needs none). Default true. */
  prefetchFirstCall?: boolean;
  /**
   * Takes the container's removal instead of waiting for it, so the episode's result is not
   * held up by it; whoever takes it must wait for it before the run ends.
   */
  removeLater?: (removal: Promise<void>) => void;
  /** Built-in tools (default), or a user's SWE-agent bundles installed in the container. */
  observationMode?: ObservationMode;
}

/**
 * One agent episode on a SWE-bench task: a container from the instance image, a persistent
 * shell with the task's environment active in /testbed, the profile's tools (run_tests uses the
 * repo's own test command and the official log parser), the loop, and the container removed.
 */
export async function runAgentEpisode(options: AgentEpisodeOptions): Promise<EpisodeOutcome> {
  const { row, spec } = options;
  const parser = selectLogParser({ repo: row.repo, rowLogParser: row.log_parser, specLogParser: spec.log_parser });
  const toolsFrom = (startCommit: string) =>
    profileTools(options.profile, {
      commandTimeoutMs: options.agent.commandTimeoutSec * 1000,
      startCommit,
      reviewOnSubmit: options.reviewOnSubmit,
      reviewMessage: options.agent.reviewMessage,
      runTests: {
        testCommand: spec.test_cmd,
        setup: [`{ ${QUIET_CONDA_ACTIVATE} || true; }`],
        parse: (log) => parser.parse(log, "v4"),
        timeoutMs: options.agent.commandTimeoutSec * 1000,
      },
    });
  // Bundles mode: the tools and the first state come from the container, so nothing can be sent before it is up.
  const bundles = options.observationMode?.kind === "bundles" ? options.observationMode : undefined;
  if (!bundles && options.prefetchFirstCall !== false && options.model.prefetch) {
    // The prompts and the tools' schemas do not depend on the commit, only the tools' behaviour does.
    const task = { id: row.instance_id, problemStatement: row.problem_statement, repoRoot: REPO_ROOT, startCommit: "HEAD" };
    const opening = openingRequest(task, toolsFrom("HEAD"), options.agent, options.templates);
    options.model.prefetch({
      messages: opening.messages,
      tools: opening.tools.length > 0 ? opening.tools : undefined,
      signal: options.signal,
    });
  }
  const sandbox = await options.sandboxes.create({ image: options.image, role: "agent", instanceId: row.instance_id });
  let shell: ShellSession | undefined;
  try {
    shell = await sandbox.openShell({ init: [QUIET_CONDA_ACTIVATE, `cd ${REPO_ROOT}`] });
    // Asked in the shell, not by an exec of its own: at 64 episodes starting together, every exec queues in the engine.
    const head = await shell.run(`git -C ${REPO_ROOT} rev-parse HEAD`, { timeoutMs: 60_000 });
    if (head.exitCode !== 0) throw new Error(`${options.image}: ${REPO_ROOT} is not a git repository: ${head.output.trim()}`);
    const { tools, initialState } = bundles
      ? await setUpBundleEpisode({
          sandbox,
          shell,
          mode: bundles,
          problemStatement: row.problem_statement,
          commandTimeoutMs: options.agent.commandTimeoutSec * 1000,
        })
      : // The image's HEAD, not base_commit: official images carry a setup commit on top of
        // base_commit (e.g. sphinx's tox.ini edit) that must not end up in the patch.
        { tools: toolsFrom(head.output.trim()), initialState: undefined };
    return await runAgent({
      task: {
        id: row.instance_id,
        problemStatement: row.problem_statement,
        repoRoot: REPO_ROOT,
        startCommit: head.output.trim(),
        baseCommit: row.base_commit,
      },
      sandbox,
      shell,
      tools,
      initialState,
      model: options.model,
      templates: options.templates,
      config: options.agent,
      recordConfig: {
        profile: options.profile,
        reviewOnSubmit: options.reviewOnSubmit,
        image: options.image,
        model: { ...options.model.config, apiKey: undefined },
        observationMode: options.observationMode ?? BUILTIN_OBSERVATIONS,
      },
      trajectoryPath: options.trajectoryPath,
      signal: options.signal,
      onStep: options.onStep,
    });
  } finally {
    const removal = (async () => {
      await shell?.close();
      await sandbox.remove();
    })();
    if (options.removeLater) options.removeLater(removal);
    else await removal;
  }
}

/**
 * Bundles mode, before a run starts: installs the bundles once in a container of the first
 * instance's image, so a failing install.sh or a missing tool stops the run with an error
 * naming the bundle instead of failing every episode.
 */
export async function preflightBundles(
  options: Pick<AgentEpisodeOptions, "sandboxes" | "row" | "image"> & { mode: BundleObservations },
): Promise<void> {
  const sandbox = await options.sandboxes.create({ image: options.image, role: "agent", instanceId: options.row.instance_id });
  let shell: ShellSession | undefined;
  try {
    shell = await sandbox.openShell({ init: [QUIET_CONDA_ACTIVATE, `cd ${REPO_ROOT}`] });
    await setUpBundleEpisode({
      sandbox,
      shell,
      mode: options.mode,
      problemStatement: options.row.problem_statement,
      commandTimeoutMs: 60_000,
    });
  } finally {
    await shell?.close();
    await sandbox.remove();
  }
}
