import { existsSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { EndpointEvent } from "../../src/foundation/model/endpoint-figures.ts";
import { EndpointPool } from "../../src/foundation/model/endpoint-pool.ts";
import { resolveModelConfig } from "../../src/foundation/model/model-config.ts";
import { currentOwner } from "../../src/foundation/sandbox/owner.ts";
import type { SandboxBackend, SandboxBackendConfigInput } from "../../src/foundation/sandbox/sandbox-backend.ts";
import { writeFileAtomic } from "../../src/foundation/store/atomic-file.ts";
import { readJsonl } from "../../src/foundation/store/jsonl.ts";
import { loadTemplates } from "../../scaffold/templates.ts";
import { loadDataset, type LoadedDataset } from "../dataset/dataset.ts";
import { loadPredictions, Prediction } from "../dataset/predictions.ts";
import type { TaskRow } from "../dataset/task-row.ts";
import { LOG_FILES } from "../evaluation/evaluate-instance.ts";
import { orderBySharedLayers } from "../images/layer-groups.ts";
import { EventLog } from "./event-log.ts";
import { type RunConfig, sandboxConfigFor } from "./run-config.ts";
import { readRunJson, type RunJson, writeRunJson } from "./run-json.ts";
import { ChangedConfigError, configChanges, describeChange } from "./resume-check.ts";
import type { RunEvent } from "./run-events.ts";
import { RunLayout } from "./run-layout.ts";

export interface RunDependencies {
  /**
   * Opens the sandbox back end (the shell's choice, e.g. `openSandboxBackend` with a name),
   * configured once by the run: its labels, limits and networks.
   */
  openSandboxes: (config: SandboxBackendConfigInput) => Promise<SandboxBackend>;
  /** Aborting stops new work; work in flight is abandoned and its containers removed. */
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
  /**
   * Resume the run even when settings that decide its results differ from its run.json (the
   * changes are recorded there); otherwise such a resume is a ChangedConfigError.
   */
  allowChangedConfig?: boolean;
}

/** Everything the phases of a run share, settled before the first instance starts. */
export interface RunContext {
  config: RunConfig;
  layout: RunLayout;
  dataset: LoadedDataset;
  /** Given, or made by the agent: what is here was finished before (a resumed run skips it). */
  predictions: Map<string, Prediction>;
  /** The model endpoints; present when the run runs the agent. */
  model?: EndpointPool;
  modelName?: string;
  templates: ReturnType<typeof loadTemplates>;
  sandboxes: SandboxBackend;
  events: EventLog;
  signal?: AbortSignal;
  /** The instances with work left, in dataset order. */
  todo: TaskRow[];
}

/**
 * The prepare phase: the dataset, the predictions (given, or those a previous invocation of this
 * run finished), the model, run.json, leftover sandboxes of dead runs removed, and the plan —
 * which instances have work left, the others recorded as skipped with the reason.
 */
export async function prepareRun(config: RunConfig, deps: RunDependencies): Promise<RunContext> {
  const layout = new RunLayout(config.resultsDir, config.runId);
  const dataset = await loadDataset({ source: config.dataset, split: config.split, instances: config.instances });
  // Both folders exist from the start, so a run stopped before its first episode ended reads the same.
  await mkdir(layout.logsDir, { recursive: true });
  await mkdir(layout.trajectoriesDir, { recursive: true });
  const events = new EventLog(layout.events, deps.onEvent);

  let model: EndpointPool | undefined;
  let modelName = config.modelName;
  if (!config.predictions) {
    const onEndpoint = (event: EndpointEvent) => {
      if (event.type === "episode_moved")
        events.emit({ type: "episode_moved", instance_id: event.episode, from: event.from, to: event.to });
      else events.emit(event);
    };
    model = new EndpointPool(config.modelURLs ?? [resolveModelConfig(config.model!).baseURL], config.model!, { onEvent: onEndpoint });
    modelName ??= (await model.verify(deps.signal)).model;
  }
  // Checked before predictions.jsonl and run.json are written: a refused resume leaves them as they were.
  const startedAt = new Date().toISOString();
  const history = existsSync(layout.runJson) ? resumeHistory(layout, config, modelName, startedAt, deps) : undefined;

  const predictions = new Map<string, Prediction>();
  if (config.predictions) {
    // Written whole, so the run folder is self-contained.
    for (const [id, p] of await loadPredictions(config.predictions, dataset.rows, { datasetIds: dataset.datasetIds }))
      predictions.set(id, p);
    await writeFileAtomic(layout.predictions, [...predictions.values()].map((p) => `${JSON.stringify(p)}\n`).join(""));
  } else {
    for (const line of await readJsonl(layout.predictions)) {
      const p = Prediction.parse(line);
      predictions.set(p.instance_id, p);
    }
  }
  const templates = loadTemplates(config.templatesPath);
  await writeRunJson(layout.runJson, {
    config,
    dataset: dataset.source,
    model_name: modelName,
    owner: currentOwner(),
    started_at: history?.started_at ?? startedAt,
    resumed: history?.resumed,
    node: process.version,
  });

  const sandboxes = await deps.openSandboxes(sandboxConfigFor(config));
  await sandboxes.reapDead();

  const context: RunContext = {
    config,
    layout,
    dataset,
    predictions,
    model,
    modelName,
    templates,
    sandboxes,
    events,
    signal: deps.signal,
    todo: [],
  };
  // Instances that share layers run close together: their environment is pulled once.
  context.todo = orderBySharedLayers(dataset.rows.filter((row) => needsAgent(context, row) || needsGrading(context, row)));
  events.emit({ type: "run_started", run_id: config.runId, total: dataset.rows.length, todo: context.todo.length });
  for (const row of dataset.rows) {
    if (context.todo.includes(row)) continue;
    const p = predictions.get(row.instance_id);
    const reason = !p ? "no prediction" : !p.model_patch ? "empty patch" : config.grade ? "already graded" : "agent already ran";
    events.emit({ type: "skipped", instance_id: row.instance_id, reason });
  }
  return context;
}

/**
 * This invocation resumes a run: its first start and the resumes before this one, and this one
 * with the decisive settings it changed — refused unless the user allowed them.
 */
function resumeHistory(
  layout: RunLayout,
  config: RunConfig,
  modelName: string | undefined,
  at: string,
  deps: RunDependencies,
): Pick<RunJson, "started_at" | "resumed"> {
  const previous = readRunJson(layout.runJson);
  const changes = configChanges(previous, config, modelName, layout.predictions);
  if (changes.length > 0 && !deps.allowChangedConfig) throw new ChangedConfigError(layout.runJson, changes);
  return {
    started_at: previous.started_at,
    resumed: [...(previous.resumed ?? []), { at, changes: changes.map((change) => describeChange(change)) }],
  };
}

export const needsAgent = (run: RunContext, row: TaskRow): boolean => run.model !== undefined && !run.predictions.has(row.instance_id);

/** Graded already, and with this very patch (report.json is written last, patch.diff first). */
function graded(run: RunContext, row: TaskRow, patch: string): boolean {
  const dir = run.layout.logDir(row.instance_id);
  if (!existsSync(join(dir, LOG_FILES.report)) || !existsSync(join(dir, LOG_FILES.patch))) return false;
  return readFileSync(join(dir, LOG_FILES.patch), "utf8") === patch;
}

export function needsGrading(run: RunContext, row: TaskRow): boolean {
  if (!run.config.grade) return false;
  const p = run.predictions.get(row.instance_id);
  if (p === undefined) return run.model !== undefined;
  return Boolean(p.model_patch) && !graded(run, row, p.model_patch!);
}
