import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadDataset } from "../../../harness/dataset/dataset.ts";
import { LOG_FILES } from "../../../harness/evaluation/evaluate-instance.ts";
import { FIXTURES_DIR } from "../../../harness/images/fixture-repo.ts";
import { gradeInstance, serializeInstanceReport } from "../../../harness/grading/instance-report.ts";
import { loadPredictions, type Prediction } from "../../../harness/dataset/predictions.ts";
import { RunConfig } from "../../../harness/run/run-config.ts";
import { RunLayout } from "../../../harness/run/run-layout.ts";
import { writeRunReport } from "../../../harness/grading/run-report-file.ts";
import { specFor } from "../../../harness/dataset/specs/index.ts";
import { writeSummary } from "../../../harness/run/summary.ts";
import { Semantics } from "../../../harness/grading/test-status.ts";
import { writeFileAtomic } from "../../foundation/store/atomic-file.ts";
import { CliUsageError } from "./cli-error.ts";
import { flagTable, parseCommandFlags } from "./flag-table.ts";

export const GRADE_COMMAND = {
  usage: `usage: bottega grade --dataset D --instance ID --log test_output.txt [--predictions P] [--grading v4|v5]
       bottega grade --run-id ID [--results DIR] [--grading v4|v5]`,
  description: `The first form prints the report.json the official harness would write for that test log
(byte for byte), without Docker. The prediction is looked up in --predictions when given;
otherwise the patch is taken to exist.
The second form re-grades every test_output.txt of a run and rewrites its report.json files,
the run report and summary.md (the official --rewrite_reports).`,
  flags: flagTable({
    dataset: { kind: "string", group: "one test log", placeholder: "D", help: "the dataset holding the instance", defaultText: "tasks/fixtures" },
    instance: { kind: "string", group: "one test log", placeholder: "ID", help: "the instance the log is of" },
    log: { kind: "string", group: "one test log", placeholder: "FILE", help: "the test output (test_output.txt)" },
    predictions: { kind: "string", group: "one test log", placeholder: "FILE", help: "where to look the prediction up", defaultText: "the patch is taken to exist" },
    "run-id": { kind: "string", group: "a whole run", placeholder: "ID", help: "re-grade this run" },
    results: { kind: "string", group: "a whole run", placeholder: "DIR", help: "where runs are written", default: "results" },
    grading: { kind: "string", group: "both", placeholder: "v4|v5", help: "grading semantics (a run: the one it was graded with)", default: "v4" },
  }),
};

function decode(path: string): string {
  return new TextDecoder("utf-8").decode(readFileSync(path));
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandFlags(argv, GRADE_COMMAND);
  if (!parsed) return 0;
  const v = parsed.values;
  const checked = Semantics.safeParse(v.grading ?? GRADE_COMMAND.flags.grading.default);
  if (!checked.success) throw new CliUsageError(`--grading: ${checked.error.issues[0]?.message}`);
  const semantics = checked.data;

  if (v["run-id"]) return regradeRun(new RunLayout(v.results, v["run-id"]), v.grading === undefined ? undefined : semantics);

  if (!v.instance || !v.log) throw new CliUsageError("grade needs --instance and --log (or --run-id); 'bottega grade --help' lists the options.");
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

/** Re-grades every logged test output of a run, like the official --rewrite_reports. */
async function regradeRun(layout: RunLayout, semanticsOverride: Semantics | undefined): Promise<number> {
  if (!existsSync(layout.runJson)) throw new CliUsageError(`no run at ${layout.root} (run.json missing)`);
  const config = RunConfig.parse(JSON.parse(readFileSync(layout.runJson, "utf8")).config);
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
