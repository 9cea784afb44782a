import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadDataset } from "../../../harness/dataset/dataset.ts";
import { LOG_FILES } from "../../../harness/evaluation/evaluate-instance.ts";
import { FIXTURES_DIR } from "../../../harness/images/fixture-repo.ts";
import { gradeInstance, serializeInstanceReport } from "../../../harness/grading/instance-report.ts";
import { loadPredictions, type Prediction } from "../../../harness/dataset/predictions.ts";
import { readRunJson } from "../../../harness/run/run-json.ts";
import { RunLayout } from "../../../harness/run/run-layout.ts";
import { writeRunReport } from "../../../harness/grading/run-report-file.ts";
import { specFor } from "../../../harness/dataset/specs/index.ts";
import { writeSummary } from "../../../harness/run/summary.ts";
import { Semantics } from "../../../harness/grading/test-status.ts";
import { writeFileAtomic } from "../../foundation/store/atomic-file.ts";
import { CliUsageError } from "./cli-error.ts";
import type { FlagValues } from "./flag-table.ts";
import { GRADE_COMMAND } from "./grade-command.ts";

/** Grades one test log, or re-grades every log of a run. */
export async function grade(v: FlagValues<typeof GRADE_COMMAND.flags>): Promise<number> {
  const checked = Semantics.safeParse(v.grading ?? GRADE_COMMAND.flags.grading.default);
  if (!checked.success) throw new CliUsageError(`--grading: ${checked.error.issues[0]?.message}`);
  const semantics = checked.data;

  if (v["run-id"]) return regradeRun(new RunLayout(v.results, v["run-id"]), v.grading === undefined ? undefined : semantics);

  if (!v.instance || !v.log)
    throw new CliUsageError("grade needs --instance and --log (or --run-id); 'bottega grade --help' lists the options.");
  const dataset = await loadDataset({ source: v.dataset ?? FIXTURES_DIR, instances: [v.instance] });
  const row = dataset.rows[0]!;
  let prediction: Prediction = { instance_id: row.instance_id, model_name_or_path: "None", model_patch: "(patch exists)" };
  if (v.predictions) {
    const found = (await loadPredictions(v.predictions, dataset.rows, { datasetIds: dataset.datasetIds })).get(row.instance_id);
    if (!found) throw new CliUsageError(`${v.predictions} has no prediction for ${row.instance_id}`);
    prediction = found;
  }
  const report = gradeInstance({ row, prediction, log: decode(v.log), semantics, spec: specFor(row, dataset.specs) });
  process.stdout.write(serializeInstanceReport(report));
  return 0;
}

function decode(path: string): string {
  return new TextDecoder("utf-8").decode(readFileSync(path));
}

/** Re-grades every logged test output of a run, like the official --rewrite_reports. */
async function regradeRun(layout: RunLayout, semanticsOverride: Semantics | undefined): Promise<number> {
  if (!existsSync(layout.runJson)) throw new CliUsageError(`no run at ${layout.root} (run.json missing)`);
  const { config } = readRunJson(layout.runJson);
  const semantics = semanticsOverride ?? config.grading;
  const dataset = await loadDataset({ source: config.dataset, split: config.split, instances: config.instances });
  const predictions = await loadPredictions(layout.predictions, dataset.rows, { datasetIds: dataset.datasetIds });
  let regraded = 0;
  for (const row of dataset.rows) {
    const prediction = predictions.get(row.instance_id);
    const logPath = join(layout.logDir(row.instance_id), LOG_FILES.testOutput);
    if (!prediction || !existsSync(logPath)) continue;
    const report = gradeInstance({ row, prediction, log: decode(logPath), semantics, spec: specFor(row, dataset.specs) });
    await writeFileAtomic(join(layout.logDir(row.instance_id), LOG_FILES.report), serializeInstanceReport(report));
    regraded++;
  }
  const report = await writeRunReport(layout, dataset.rows, predictions, semantics);
  await writeSummary(layout, { config: { ...config, grading: semantics }, rows: dataset.rows, report });
  console.log(`re-graded ${regraded} logs of run ${layout.runId}: resolved ${report.resolved_instances}/${report.total_instances}`);
  console.log(`report: ${layout.report}`);
  return 0;
}
