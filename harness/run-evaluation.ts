import { existsSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import type Docker from "dockerode";
import pLimit from "p-limit";
import { isInfrastructureError, ImageUnavailableError } from "../src/sandbox/errors.ts";
import { imageExists, pullImage, removeImage } from "../src/sandbox/images.ts";
import { liveContainers } from "../src/sandbox/live-containers.ts";
import { reapDeadContainers } from "../src/sandbox/reaper.ts";
import { writeFileAtomic } from "../src/store/atomic-file.ts";
import { appendJsonl } from "../src/store/jsonl.ts";
import { loadDataset } from "./dataset.ts";
import { evalScriptFor, withTestExitCode } from "./eval-script.ts";
import { evaluateInstance, LOG_FILES } from "./evaluate-instance.ts";
import { imageFor } from "./image-name.ts";
import { loadPredictions, type Prediction } from "./predictions.ts";
import { EvalConfig, type EvalConfigInput } from "./run-config.ts";
import type { RunEvent, RunEventInput } from "./run-events.ts";
import { RunLayout } from "./run-layout.ts";
import { writeRunReport, type RunReport } from "./run-report-file.ts";
import { specFor } from "./specs/index.ts";
import { writeSummary } from "./summary.ts";
import type { TaskRow } from "./task-row.ts";

export interface RunDependencies {
  docker: Docker;
  /** Aborting stops new work; work in flight is abandoned and its containers removed. */
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
}

export interface EvaluationRunResult {
  config: EvalConfig;
  layout: RunLayout;
  report: RunReport;
  interrupted: boolean;
}

/** What must happen to an instance in this invocation. */
type Plan =
  | { action: "grade"; row: TaskRow; prediction: Prediction; note?: string }
  | { action: "skip"; row: TaskRow; reason: string };

function plan(rows: TaskRow[], predictions: Map<string, Prediction>, layout: RunLayout): Plan[] {
  return rows.map((row): Plan => {
    const prediction = predictions.get(row.instance_id);
    if (!prediction) return { action: "skip", row, reason: "no prediction" };
    if (!prediction.model_patch) return { action: "skip", row, reason: "empty patch" };
    const dir = layout.logDir(row.instance_id);
    if (!existsSync(`${dir}/${LOG_FILES.report}`)) return { action: "grade", row, prediction };
    // The official harness reuses an old report even when the patch changed; we re-grade.
    const graded = readFileSync(`${dir}/${LOG_FILES.patch}`, "utf8");
    if (graded === prediction.model_patch) return { action: "skip", row, reason: "already graded" };
    return { action: "grade", row, prediction, note: "patch changed since it was graded: re-grading" };
  });
}

/**
 * `bottega eval --predictions`: grades every prediction in a fresh container, pulls images as
 * needed (bounded pools, pull and grade pipelined per instance), writes results/<run_id>/ and
 * the run report. Re-running with the same run id does only what is unfinished.
 */
export async function runEvaluation(input: EvalConfigInput, deps: RunDependencies): Promise<EvaluationRunResult> {
  const config = EvalConfig.parse(input);
  const layout = new RunLayout(config.resultsDir, config.runId);
  const dataset = await loadDataset({ source: config.dataset, split: config.split, instances: config.instances });
  const predictions = await loadPredictions(config.predictions, dataset.rows, { datasetIds: dataset.datasetIds });
  await mkdir(layout.logsDir, { recursive: true });
  // The run folder keeps its own copy of what it graded, so re-grading needs nothing else.
  await writeFileAtomic(layout.predictions, [...predictions.values()].map((p) => JSON.stringify(p) + "\n").join(""));
  await writeFileAtomic(
    layout.runJson,
    JSON.stringify({ config, dataset: dataset.source, startedAt: new Date().toISOString(), node: process.version }, null, 2),
  );

  let chain = Promise.resolve();
  const emit = (event: RunEventInput) => {
    const full = { ...event, t: new Date().toISOString() } as RunEvent;
    // One writer, in order: events.jsonl is the run's history.
    chain = chain.then(() => appendJsonl(layout.events, full));
    deps.onEvent?.(full);
  };

  await reapDeadContainers(deps.docker);
  const plans = plan(dataset.rows, predictions, layout);
  const todo = plans.filter((p) => p.action === "grade");
  emit({ type: "run_started", runId: config.runId, total: plans.length, todo: todo.length });
  for (const p of plans) if (p.action === "skip") emit({ type: "skipped", instance_id: p.row.instance_id, reason: p.reason });

  const pullLimit = pLimit(config.pullWorkers);
  const gradeLimit = pLimit(config.gradeWorkers);
  // Bounds how many instances hold a pulled image at once, so pulls cannot run ahead of grading
  // and fill the disk.
  const pipelineLimit = pLimit(config.gradeWorkers + config.pullWorkers);
  const preexisting = new Map<string, boolean>();

  const ensureImage = async (row: TaskRow, image: string): Promise<void> => {
    if (await imageExists(deps.docker, image)) {
      if (!preexisting.has(image)) preexisting.set(image, true);
      return;
    }
    preexisting.set(image, false);
    emit({ type: "phase_started", instance_id: row.instance_id, phase: "pull" });
    let last = 0;
    await pullImage(deps.docker, image, {
      onProgress: (progress) => {
        if (progress.total > 0 && progress.current - last > progress.total / 20) {
          last = progress.current;
          emit({ type: "pull_progress", instance_id: row.instance_id, current: progress.current, total: progress.total });
        }
      },
    });
  };

  const gradeOne = async (p: Extract<Plan, { action: "grade" }>): Promise<void> => {
    const { row, prediction } = p;
    const id = row.instance_id;
    const image = imageFor(row, config.imageTemplate);
    const spec = specFor(row, dataset.specs);
    let script = evalScriptFor(row, spec, { source: config.evalScript, resetPolicy: config.resetPolicy });
    if (config.grading === "v5") script = withTestExitCode(script);

    for (let attempt = 0; ; attempt++) {
      if (deps.signal?.aborted) return;
      const retrying = attempt < config.infraRetries;
      try {
        await pullLimit(() => ensureImage(row, image));
      } catch (error) {
        if (deps.signal?.aborted) return;
        const kind = error instanceof ImageUnavailableError ? "image_unavailable" : "engine";
        emit({ type: "error", instance_id: id, phase: "pull", category: "infrastructure", kind, message: (error as Error).message, retrying });
        if (retrying) continue;
        return;
      }
      try {
        const outcome = await gradeLimit(async () => {
          if (deps.signal?.aborted) return undefined;
          emit({ type: "phase_started", instance_id: id, phase: "grade" });
          if (p.note) emit({ type: "note", instance_id: id, message: p.note });
          return evaluateInstance({
            docker: deps.docker,
            row,
            prediction,
            image,
            evalScript: script,
            spec,
            logDir: layout.logDir(id),
            runId: config.runId,
            timeoutSec: config.timeoutSec,
            network: config.network,
            memoryBytes: config.memoryBytes,
            pidsLimit: config.pidsLimit,
            cpus: config.cpus,
            semantics: config.grading,
          });
        });
        if (!outcome) return;
        if (outcome.status === "graded") emit({ type: "graded", instance_id: id, resolved: outcome.resolved });
        else emit({ type: "error", instance_id: id, phase: "grade", category: "evaluation", kind: outcome.kind, message: outcome.message, retrying: false });
        return;
      } catch (error) {
        if (deps.signal?.aborted) return;
        const infrastructure = isInfrastructureError(error);
        const again = infrastructure && retrying;
        emit({
          type: "error",
          instance_id: id,
          phase: "grade",
          category: infrastructure ? "infrastructure" : "evaluation",
          kind: infrastructure ? "engine" : "crash",
          message: (error as Error).message,
          retrying: again,
        });
        if (!again) return;
        await new Promise((resolve) => setTimeout(resolve, 1000 * (attempt + 1)));
      } finally {
        if (preexisting.get(image) === false && !config.keepImages) {
          await removeImage(deps.docker, image).catch(() => undefined);
          preexisting.delete(image);
        }
      }
    }
  };

  const onAbort = () => void liveContainers.removeAll();
  deps.signal?.addEventListener("abort", onAbort);
  try {
    await Promise.all(todo.map((p) => pipelineLimit(() => (deps.signal?.aborted ? undefined : gradeOne(p as Extract<Plan, { action: "grade" }>)))));
  } finally {
    deps.signal?.removeEventListener("abort", onAbort);
    await liveContainers.removeAll();
  }
  const interrupted = deps.signal?.aborted ?? false;
  emit({ type: "run_finished", interrupted });
  await chain;

  const report = await writeRunReport(layout, dataset.rows, predictions, config.grading);
  await writeSummary(layout, { config, rows: dataset.rows, predictions, report });
  return { config, layout, report, interrupted };
}
