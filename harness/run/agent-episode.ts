import type Docker from "dockerode";
import type { ModelClient } from "../../src/foundation/model/model-client.ts";
import { DockerSandbox } from "../../src/foundation/sandbox/docker/docker-sandbox.ts";
import { LABELS } from "../../src/foundation/sandbox/owner.ts";
import type { ShellSession } from "../../src/foundation/sandbox/sandbox.ts";
import { runAgent, type AgentConfig, type EpisodeOutcome } from "../../scaffold/agent.ts";
import { profileTools, type Profile } from "../../scaffold/profiles.ts";
import type { Templates } from "../../scaffold/templates.ts";
import type { TrajectoryStep } from "../../scaffold/trajectory.ts";
import { selectLogParser } from "../grading/parsers/index.ts";
import type { RepoSpec } from "../dataset/repo-spec.ts";
import type { TaskRow } from "../dataset/task-row.ts";

/** The repository inside every SWE-bench instance image. */
export const REPO_ROOT = "/testbed";
/** The official images' environment, activated as their eval scripts do (a no-op where absent). */
const ACTIVATE = "source /opt/miniconda3/bin/activate 2>/dev/null && conda activate testbed 2>/dev/null";

export interface AgentEpisodeOptions {
  docker: Docker;
  row: TaskRow;
  spec: RepoSpec;
  image: string;
  runId: string;
  model: ModelClient;
  profile: Profile;
  agent: AgentConfig;
  templates: Templates;
  reviewOnSubmit: boolean;
  trajectoryPath: string;
  network: string;
  memoryBytes?: number;
  pidsLimit?: number;
  cpus?: number;
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
  const sandbox = await DockerSandbox.create(options.docker, {
    image: options.image,
    labels: { [LABELS.run]: options.runId, [LABELS.instance]: row.instance_id, [LABELS.role]: "agent" },
    user: "root",
    workdir: REPO_ROOT,
    network: options.network,
    memoryBytes: options.memoryBytes,
    pidsLimit: options.pidsLimit,
    cpus: options.cpus,
  });
  let shell: ShellSession | undefined;
  try {
    const head = await sandbox.exec("git rev-parse HEAD", { cwd: REPO_ROOT });
    if (head.exitCode !== 0) throw new Error(`${options.image}: ${REPO_ROOT} is not a git repository: ${head.output.trim()}`);
    shell = await sandbox.openShell({ init: [ACTIVATE, `cd ${REPO_ROOT}`] });
    const parser = selectLogParser({ repo: row.repo, rowLogParser: row.log_parser, specLogParser: spec.log_parser });
    const tools = profileTools(options.profile, {
      commandTimeoutMs: options.agent.commandTimeoutSec * 1000,
      // The image's HEAD, not base_commit: official images carry a setup commit on top of
      // base_commit (e.g. sphinx's tox.ini edit) that must not end up in the patch.
      startCommit: head.output.trim(),
      reviewOnSubmit: options.reviewOnSubmit,
      runTests: {
        testCommand: spec.test_cmd,
        setup: [`{ ${ACTIVATE} || true; }`],
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
