import type { ModelClient } from "../../src/foundation/model/model-client.ts";
import type { ShellSession } from "../../src/foundation/sandbox/sandbox.ts";
import type { SandboxBackend } from "../../src/foundation/sandbox/sandbox-backend.ts";
import { runAgent, type AgentConfig, type EpisodeOutcome } from "../../scaffold/agent.ts";
import { profileTools, type Profile } from "../../scaffold/profiles.ts";
import type { Templates } from "../../scaffold/templates.ts";
import type { TrajectoryStep } from "../../scaffold/trajectory.ts";
import { QUIET_CONDA_ACTIVATE, REPO_ROOT } from "../evaluation/testbed.ts";
import { selectLogParser } from "../grading/parsers/index.ts";
import type { RepoSpec } from "../dataset/repo-spec.ts";
import type { TaskRow } from "../dataset/task-row.ts";


export interface AgentEpisodeOptions {
  sandboxes: SandboxBackend;
  row: TaskRow;
  spec: RepoSpec;
  image: string;
  model: ModelClient;
  profile: Profile;
  agent: AgentConfig;
  templates?: Partial<Templates>;
  reviewOnSubmit: boolean;
  trajectoryPath: string;
  signal?: AbortSignal;
  onStep?: (step: TrajectoryStep) => void;
}

/**
 * One agent episode on a SWE-bench task: a container from the instance image, a persistent
 * shell with the task's environment active in /testbed, the profile's tools (run_tests uses the
 * repo's own test command and the official log parser), the loop, and the container removed.
 */
export async function runAgentEpisode(options: AgentEpisodeOptions): Promise<EpisodeOutcome> {
  const { row, spec } = options;
  const sandbox = await options.sandboxes.create({ image: options.image, role: "agent", instanceId: row.instance_id });
  let shell: ShellSession | undefined;
  try {
    const head = await sandbox.exec("git rev-parse HEAD", { cwd: REPO_ROOT });
    if (head.exitCode !== 0) throw new Error(`${options.image}: ${REPO_ROOT} is not a git repository: ${head.output.trim()}`);
    shell = await sandbox.openShell({ init: [QUIET_CONDA_ACTIVATE, `cd ${REPO_ROOT}`] });
    const parser = selectLogParser({ repo: row.repo, rowLogParser: row.log_parser, specLogParser: spec.log_parser });
    const tools = profileTools(options.profile, {
      commandTimeoutMs: options.agent.commandTimeoutSec * 1000,
      // The image's HEAD, not base_commit: official images carry a setup commit on top of
      // base_commit (e.g. sphinx's tox.ini edit) that must not end up in the patch.
      startCommit: head.output.trim(),
      reviewOnSubmit: options.reviewOnSubmit,
      reviewMessage: options.agent.reviewMessage,
      runTests: {
        testCommand: spec.test_cmd,
        setup: [`{ ${QUIET_CONDA_ACTIVATE} || true; }`],
        parse: (log) => parser.parse(log, "v4"),
        timeoutMs: options.agent.commandTimeoutSec * 1000,
      },
    });
    return await runAgent({
      task: { id: row.instance_id, problemStatement: row.problem_statement, repoRoot: REPO_ROOT, startCommit: head.output.trim(), baseCommit: row.base_commit },
      sandbox,
      shell,
      tools,
      model: options.model,
      templates: options.templates,
      config: options.agent,
      recordConfig: {
        profile: options.profile,
        reviewOnSubmit: options.reviewOnSubmit,
        image: options.image,
        model: { ...options.model.config, apiKey: undefined },
      },
      trajectoryPath: options.trajectoryPath,
      signal: options.signal,
      onStep: options.onStep,
    });
  } finally {
    await shell?.close();
    await sandbox.remove();
  }
}
