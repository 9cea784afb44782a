import type { RunReport } from "../grading/run-report-file.ts";
import { writeRunReport } from "../grading/run-report-file.ts";
import { runInstances } from "./instance-pipeline.ts";
import { prepareRun, type RunDependencies } from "./prepare-run.ts";
import { RunConfig, type RunConfigInput } from "./run-config.ts";
import { amendRunJson } from "./run-json.ts";
import type { RunLayout } from "./run-layout.ts";
import { writeSummary } from "./summary.ts";

export type { RunDependencies };

export interface RunResult {
  config: RunConfig;
  layout: RunLayout;
  /** The official run report; absent for agent-only runs. */
  report?: RunReport;
  interrupted: boolean;
}

/**
 * A batch over a dataset, in phases: prepare (dataset, predictions, model, leftovers reaped,
 * the plan), then per instance image → agent → grade (instance-pipeline.ts), then the report.
 * Every finished piece is on disk the moment it finishes (predictions.jsonl lines, trajectories,
 * report.json files), so a run started again with the same id does only what is missing.
 */
export async function runBatch(input: RunConfigInput, deps: RunDependencies): Promise<RunResult> {
  const config = RunConfig.parse(input);
  const run = await prepareRun(config, deps);
  const imageDisk = await runInstances(run);
  const interrupted = deps.signal?.aborted ?? false;
  run.events.emit({ type: "run_finished", interrupted });
  await run.events.flushed();
  run.model?.close();
  await amendRunJson(run.layout.runJson, {
    ...(run.model && { endpoints: run.model.figures() }),
    image_disk: { max_bytes: imageDisk.maxBytes, peak_bytes: imageDisk.peakBytes },
  });

  // The report phase.
  if (!config.grade) return { config, layout: run.layout, interrupted };
  const report = await writeRunReport(run.layout, run.dataset.rows, run.predictions, config.grading);
  await writeSummary(run.layout, { config: { ...config, modelName: run.modelName }, rows: run.dataset.rows, report });
  return { config, layout: run.layout, report, interrupted };
}
