import { existsSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import pLimit from "p-limit";
import { EndpointPool } from "../../src/foundation/model/endpoint-pool.ts";
import type { EndpointEvent } from "../../src/foundation/model/endpoint-figures.ts";
import { resolveModelConfig } from "../../src/foundation/model/model-config.ts";
import { ImageUnavailableError, isInfrastructureError } from "../../src/foundation/sandbox/errors.ts";
import { currentOwner } from "../../src/foundation/sandbox/owner.ts";
import type { SandboxBackend, SandboxBackendConfigInput } from "../../src/foundation/sandbox/sandbox-backend.ts";
import { writeFileAtomic } from "../../src/foundation/store/atomic-file.ts";
import { appendJsonl, readJsonl } from "../../src/foundation/store/jsonl.ts";
import { loadTemplates } from "../../scaffold/templates.ts";
import { preflightBundles, runAgentEpisode } from "./agent-episode.ts";
import { loadDataset } from "../dataset/dataset.ts";
import { evalScriptFor, withTestExitCode } from "../evaluation/eval-script.ts";
import { evaluateInstance, LOG_FILES } from "../evaluation/evaluate-instance.ts";
import { ImageDiskLedger } from "../images/image-disk.ts";
import { imageFor } from "../images/image-name.ts";
import { layerGroup, orderBySharedLayers } from "../images/layer-groups.ts";
import { loadPredictions, Prediction } from "../dataset/predictions.ts";
import { RunConfig, sandboxConfigFor, storedConfig, type RunConfigInput } from "./run-config.ts";
import type { RunEvent, RunEventInput } from "./run-events.ts";
import { RunLayout } from "./run-layout.ts";
import { writeRunReport, type RunReport } from "../grading/run-report-file.ts";
import { specFor } from "../dataset/specs/index.ts";
import { writeSummary } from "./summary.ts";
import type { TaskRow } from "../dataset/task-row.ts";

export interface RunDependencies {
  /**
   * Opens the sandbox back end (the shell's choice, e.g. `openSandboxBackend` with a name),
   * configured once by the run: its labels, limits and networks.
   */
  openSandboxes: (config: SandboxBackendConfigInput) => Promise<SandboxBackend>;
  /** Aborting stops new work; work in flight is abandoned and its containers removed. */
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
}

export interface RunResult {
  config: RunConfig;
  layout: RunLayout;
  /** The official run report; absent for agent-only runs. */
  report?: RunReport;
  interrupted: boolean;
}

/** A step of an instance failed because of the machine, not the model or the patch. */
class InfrastructureFailure extends Error {
  constructor(
    readonly phase: "pull" | "agent" | "grade",
    readonly kind: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A batch over a dataset: per instance, pull the image, run the agent (when a model is given)
 * and grade the patch — pipelined, each stage in its own bounded pool, so a slow grading never
 * holds an idle model server. Every finished piece is on disk the moment it finishes
 * (predictions.jsonl lines, trajectories, report.json files), so a run started again with the
 * same id does only what is missing.
 */
export async function runBatch(input: RunConfigInput, deps: RunDependencies): Promise<RunResult> {
  const config = RunConfig.parse(input);
  const layout = new RunLayout(config.resultsDir, config.runId);
  const dataset = await loadDataset({ source: config.dataset, split: config.split, instances: config.instances });
  await mkdir(layout.logsDir, { recursive: true });

  let chain = Promise.resolve();
  const emit = (event: RunEventInput) => {
    const full = { ...event, t: new Date().toISOString() } as RunEvent;
    chain = chain.then(() => appendJsonl(layout.events, full)); // one writer, in order
    deps.onEvent?.(full);
  };

  // Predictions: given (written whole, so the run folder is self-contained), or made by the
  // agent (appended one whole line per finished episode; what is there was finished before).
  const predictions = new Map<string, Prediction>();
  let model: EndpointPool | undefined;
  let modelName = config.modelName;
  if (config.predictions) {
    for (const [id, p] of await loadPredictions(config.predictions, dataset.rows, { datasetIds: dataset.datasetIds })) predictions.set(id, p);
    await writeFileAtomic(layout.predictions, [...predictions.values()].map((p) => JSON.stringify(p) + "\n").join(""));
  } else {
    for (const line of await readJsonl(layout.predictions)) {
      const p = Prediction.parse(line);
      predictions.set(p.instance_id, p);
    }
    const onEndpoint = (event: EndpointEvent) => {
      if (event.type === "episode_moved") emit({ type: "episode_moved", instance_id: event.episode, from: event.from, to: event.to });
      else emit(event);
    };
    model = new EndpointPool(config.modelURLs ?? [resolveModelConfig(config.model!).baseURL], config.model!, { onEvent: onEndpoint });
    modelName ??= (await model.verify(deps.signal)).model;
  }
  const templates = loadTemplates(config.templatesPath);
  await writeFileAtomic(
    layout.runJson,
    JSON.stringify(
      { config: storedConfig(config), dataset: dataset.source, modelName, owner: currentOwner(), startedAt: new Date().toISOString(), node: process.version },
      null,
      2,
    ),
  );

  const sandboxes = await deps.openSandboxes(sandboxConfigFor(config));
  await sandboxes.reapDead();
  /** Graded already, and with this very patch (report.json is written last, patch.diff first). */
  const graded = (row: TaskRow, patch: string): boolean => {
    const dir = layout.logDir(row.instance_id);
    if (!existsSync(`${dir}/${LOG_FILES.report}`) || !existsSync(`${dir}/${LOG_FILES.patch}`)) return false;
    return readFileSync(`${dir}/${LOG_FILES.patch}`, "utf8") === patch;
  };
  const needsAgent = (row: TaskRow) => model !== undefined && !predictions.has(row.instance_id);
  const needsGrading = (row: TaskRow) => {
    if (!config.grade) return false;
    const p = predictions.get(row.instance_id);
    if (p === undefined) return model !== undefined;
    return Boolean(p.model_patch) && !graded(row, p.model_patch!);
  };
  // Instances that share layers run close together: their environment is pulled once.
  const todo = orderBySharedLayers(dataset.rows.filter((row) => needsAgent(row) || needsGrading(row)));
  emit({ type: "run_started", runId: config.runId, total: dataset.rows.length, todo: todo.length });
  for (const row of dataset.rows) {
    if (todo.includes(row)) continue;
    const p = predictions.get(row.instance_id);
    emit({ type: "skipped", instance_id: row.instance_id, reason: !p ? "no prediction" : !p.model_patch ? "empty patch" : config.grade ? "already graded" : "agent already ran" });
  }

  const agentLimit = pLimit(config.workers);
  const gradeLimit = pLimit(config.gradeWorkers);
  const pullLimit = pLimit(config.pullWorkers);
  // Bounds the instances holding a pulled image at once, so pulls cannot run ahead and fill the disk.
  const pipelineLimit = pLimit((model ? config.workers : 0) + config.gradeWorkers + config.pullWorkers);
  const pulledByUs = new Set<string>();
  /** Agent containers being removed off the critical path; the run waits for them at the end. */
  const removals = new Map<string, Promise<void>>();
  const removeLater = (id: string) => (removal: Promise<void>) => {
    const tracked: Promise<void> = removal.catch(() => undefined).finally(() => removals.get(id) === tracked && removals.delete(id));
    removals.set(id, tracked);
  };
  // Worker slots, so the dashboard can show what each agent and grading worker is doing.
  const busy = { agent: new Set<number>(), grade: new Set<number>() };
  const inSlot = async <T>(pool: "agent" | "grade", work: (slot: number) => Promise<T>): Promise<T> => {
    let slot = 0;
    while (busy[pool].has(slot)) slot++;
    busy[pool].add(slot);
    try {
      return await work(slot);
    } finally {
      busy[pool].delete(slot);
    }
  };

  const disk = await ImageDiskLedger.start(sandboxes);
  /** Per layer group: its instances whose image is not pulled yet, and finished images kept for their shared layers. */
  const unpulled = new Map<string, number>();
  for (const row of todo) unpulled.set(layerGroup(row), (unpulled.get(layerGroup(row)) ?? 0) + 1);
  const keptForGroup = new Map<string, string>();
  let freed: () => void = () => undefined;
  let released = new Promise<void>((resolve) => (freed = resolve));
  const dropImage = async (image: string) => {
    pulledByUs.delete(image);
    await sandboxes.removeImage(image).catch(() => undefined);
    disk.delete(image);
    freed();
    released = new Promise<void>((resolve) => (freed = resolve));
  };
  /** The group's next image is here (or will never come): the image kept for its layers can go. */
  const groupMoved = async (group: string) => {
    const kept = keptForGroup.get(group);
    keptForGroup.delete(group);
    if (kept !== undefined) await dropImage(kept);
  };
  /** Waits until the next pull fits under --max-image-disk (judged by the largest image so far); with nothing held it always fits. */
  // Pulls in flight hold room for the size they are expected to add; before any size is known, one pull at a time.
  let pulling = 0;
  let reserved = 0;
  const fits = (max: number, estimate: number) =>
    (disk.bytes() === 0 && pulling === 0) || (estimate > 0 && disk.bytes() + reserved + estimate <= max);
  const roomForPull = async (): Promise<number> => {
    const max = config.maxImageDiskBytes;
    if (max === undefined) return 0;
    while (!fits(max, disk.largestSeen)) {
      if (keptForGroup.size > 0) {
        for (const group of [...keptForGroup.keys()]) await groupMoved(group);
        continue;
      }
      await released;
    }
    pulling++;
    reserved += disk.largestSeen;
    return disk.largestSeen;
  };
  const pullDone = (estimate: number) => {
    if (config.maxImageDiskBytes === undefined) return;
    pulling--;
    reserved -= estimate;
    freed();
    released = new Promise<void>((resolve) => (freed = resolve));
  };

  const ensureImage = async (row: TaskRow, image: string): Promise<void> => {
    if (await sandboxes.hasImage(image)) return;
    const estimate = await roomForPull();
    emit({ type: "phase_started", instance_id: row.instance_id, phase: "pull" });
    let last = 0;
    try {
      await sandboxes.pullImage(image, {
        onProgress: (progress) => {
          if (progress.total > 0 && progress.current - last > progress.total / 20) {
            last = progress.current;
            emit({ type: "pull_progress", instance_id: row.instance_id, current: progress.current, total: progress.total });
          }
        },
      });
    } catch (error) {
      // An image the registry does not have will not appear on a retry; a registry that went away may come back.
      const missing = /not found|manifest unknown|does not exist|repository .* not exist/i.test((error as Error).message);
      const kind = error instanceof ImageUnavailableError ? (missing ? "image_not_found" : "image_unavailable") : "engine";
      pullDone(estimate);
      throw new InfrastructureFailure("pull", kind, (error as Error).message);
    }
    pulledByUs.add(image);
    await disk.add(image).finally(() => pullDone(estimate));
    emit({ type: "pull_progress", instance_id: row.instance_id, current: 1, total: 1 }); // pulled, waiting for a worker
  };

  // Bundles mode: the user's bundles installed once before any episode, so a broken one stops the run at once.
  const firstAgentRow = todo.find(needsAgent);
  if (config.observationMode.kind === "bundles" && firstAgentRow) {
    const image = imageFor(firstAgentRow, config.imageTemplate);
    await ensureImage(firstAgentRow, image);
    await preflightBundles({ sandboxes, row: firstAgentRow, image, mode: config.observationMode });
  }

  const runAgentFor = async (row: TaskRow, image: string, worker: number): Promise<Prediction | undefined> => {
    const id = row.instance_id;
    emit({ type: "phase_started", instance_id: id, phase: "agent", worker });
    const lease = model!.lease(id);
    const several = model!.replicas.length > 1;
    const outcome = await runAgentEpisode({
      sandboxes: sandboxes,
      row,
      spec: specFor(row, dataset.specs),
      image,
      model: lease,
      prefetchFirstCall: config.overlapContainer,
      removeLater: config.overlapContainer ? removeLater(id) : undefined,
      profile: config.profile,
      agent: config.agent,
      templates,
      reviewOnSubmit: config.reviewOnSubmit,
      trajectoryPath: layout.trajectory(id),
      observationMode: config.observationMode,
      signal: deps.signal,
      onStep: (step) =>
        emit({
          type: "agent_step",
          instance_id: id,
          step: step.step,
          promptTokens: step.usage?.prompt_tokens ?? 0,
          completionTokens: step.usage?.completion_tokens ?? 0,
          cachedTokens: step.usage?.cached_prompt_tokens ?? 0,
          latencyMs: step.model_latency_ms,
          ...(several ? { endpoint: lease.endpoint } : {}),
        }),
    })
      .catch((error: unknown) => {
        if (isInfrastructureError(error)) throw new InfrastructureFailure("agent", "engine", (error as Error).message);
        throw error;
      })
      .finally(() => lease.release());
    if (outcome.exitStatus === "exit_interrupted") return undefined;
    if (outcome.exitStatus === "exit_env") throw new InfrastructureFailure("agent", "exit_env", outcome.exitMessage ?? "the sandbox failed");
    emit({ type: "agent_finished", instance_id: id, exit_status: outcome.exitStatus, steps: outcome.trajectory.steps.length, patchBytes: outcome.patch?.length ?? 0 });
    const prediction: Prediction = { instance_id: id, model_name_or_path: modelName!, model_patch: outcome.patch ?? "", exit_status: outcome.exitStatus };
    await appendJsonl(layout.predictions, prediction);
    predictions.set(id, prediction);
    return prediction;
  };

  const grade = async (row: TaskRow, prediction: Prediction, image: string, worker: number): Promise<void> => {
    const id = row.instance_id;
    const spec = specFor(row, dataset.specs);
    let script = evalScriptFor(row, spec, { source: config.evalScript, resetPolicy: config.resetPolicy });
    if (config.grading === "v5") script = withTestExitCode(script);
    emit({ type: "phase_started", instance_id: id, phase: "grade", worker });
    if (existsSync(`${layout.logDir(id)}/${LOG_FILES.report}`)) {
      // The official harness would reuse the old report even though the patch changed.
      emit({ type: "note", instance_id: id, message: "the patch changed since it was graded: grading it again" });
    }
    const outcome = await evaluateInstance({
      sandboxes: sandboxes,
      row,
      prediction,
      image,
      evalScript: script,
      spec,
      logDir: layout.logDir(id),
      timeoutSec: config.timeoutSec,
      semantics: config.grading,
    }).catch((error: unknown) => {
      if (isInfrastructureError(error)) throw new InfrastructureFailure("grade", "engine", (error as Error).message);
      throw error;
    });
    if (outcome.status === "graded") emit({ type: "graded", instance_id: id, resolved: outcome.resolved });
    else emit({ type: "error", instance_id: id, phase: "grade", category: "evaluation", kind: outcome.kind, message: outcome.message, retrying: false });
  };

  /** One instance through the pipeline; an infrastructure failure retries the instance's stage. */
  const processInstance = async (row: TaskRow): Promise<void> => {
    const image = imageFor(row, config.imageTemplate);
    const group = layerGroup(row);
    let counted = false;
    const pulled = async () => {
      if (counted) return;
      counted = true;
      unpulled.set(group, unpulled.get(group)! - 1);
      await groupMoved(group);
    };
    try {
      for (let attempt = 0; ; attempt++) {
        if (deps.signal?.aborted) return;
        try {
          await pullLimit(() => ensureImage(row, image));
          await pulled();
          let prediction = predictions.get(row.instance_id);
          if (!prediction && model) {
            prediction = await agentLimit(() => (deps.signal?.aborted ? undefined : inSlot("agent", (slot) => runAgentFor(row, image, slot))));
            if (!prediction) return;
          }
          if (prediction && needsGrading(row)) {
            await gradeLimit(() => (deps.signal?.aborted ? undefined : inSlot("grade", (slot) => grade(row, prediction, image, slot))));
          }
          return;
        } catch (error) {
          if (deps.signal?.aborted) return;
          if (!(error instanceof InfrastructureFailure)) {
            emit({ type: "error", instance_id: row.instance_id, phase: "grade", category: "evaluation", kind: "crash", message: (error as Error).message, retrying: false });
            return;
          }
          const retrying = attempt < config.infraRetries && error.kind !== "image_not_found";
          emit({ type: "error", instance_id: row.instance_id, phase: error.phase, category: "infrastructure", kind: error.kind, message: error.message, retrying });
          if (!retrying) return;
          await new Promise((resolve) => setTimeout(resolve, 2000 * (attempt + 1)));
        }
      }
    } finally {
      await pulled();
      await removals.get(row.instance_id); // an image in use by a container cannot be removed
      if (pulledByUs.has(image) && !config.keepImages) {
        // The group's shared layers stay (held by this image) until its next instance is pulled.
        if (unpulled.get(group)! > 0 && !keptForGroup.has(group)) keptForGroup.set(group, image);
        else await dropImage(image);
      }
    }
  };

  const onAbort = () => void sandboxes.removeAll();
  deps.signal?.addEventListener("abort", onAbort);
  try {
    await Promise.all(todo.map((row) => pipelineLimit(() => (deps.signal?.aborted ? undefined : processInstance(row)))));
  } finally {
    deps.signal?.removeEventListener("abort", onAbort);
    await Promise.all([...removals.values()]);
    await sandboxes.removeAll();
    if (!config.keepImages) for (const group of [...keptForGroup.keys()]) await groupMoved(group);
  }
  const interrupted = deps.signal?.aborted ?? false;
  emit({ type: "run_finished", interrupted });
  await chain;
  if (model) {
    model.close();
    await recordInRunJson(layout.runJson, { endpoints: model.figures() });
  }
  await recordInRunJson(layout.runJson, { image_disk: { max_bytes: config.maxImageDiskBytes ?? null, peak_bytes: disk.peak } });

  if (!config.grade) return { config, layout, interrupted };
  const report = await writeRunReport(layout, dataset.rows, predictions, config.grading);
  await writeSummary(layout, { config: { ...config, modelName }, rows: dataset.rows, report });
  return { config, layout, report, interrupted };
}

/** Adds the run's closing figures to run.json (written whole at the start). */
async function recordInRunJson(path: string, fields: Record<string, unknown>): Promise<void> {
  const current = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  await writeFileAtomic(path, JSON.stringify({ ...current, ...fields }, null, 2));
}
