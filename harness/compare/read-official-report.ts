import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { readOfficialLogs, instanceFolders } from "./read-official-logs.ts";
import { statusesFromRunReport } from "./read-bottega-run.ts";
import { emptyOutcome, type RunOutcomes } from "./run-outcomes.ts";

/**
 * Where the per-instance folders of an official run report are: logs/run_evaluation/<run_id>/<model>/
 * beside the report (it is named `<model>.<run_id>.json`, and a model may hold dots, so each
 * split is tried), or instance folders in the report's own folder.
 */
function logsFolderFor(file: string): string | null {
  const dir = dirname(file);
  const stem = basename(file).replace(/\.json$/, "");
  const parts = stem.split(".");
  for (let i = 1; i < parts.length; i++) {
    const model = parts.slice(0, i).join(".");
    const runId = parts.slice(i).join(".");
    const candidate = join(dir, "logs", "run_evaluation", runId, model);
    if (existsSync(candidate)) return candidate;
  }
  return instanceFolders(dir).length > 0 ? dir : null;
}

/**
 * An official run report (`<model>.<run_id>.json`, schema_version 2): the status of every
 * instance of its dataset, plus the per-instance files when its logs folder is found.
 */
export function readOfficialRunReport(file: string, report: Record<string, unknown>): RunOutcomes {
  const statuses = statusesFromRunReport(report, file);
  const logsDir = logsFolderFor(file);
  const logs = logsDir ? readOfficialLogs(logsDir) : null;
  const instances: RunOutcomes["instances"] = new Map();
  for (const [id, status] of statuses) {
    const found = logs?.instances.get(id);
    // The report decides the status; the folder only adds the files.
    instances.set(id, found ? { ...found, status } : emptyOutcome(id, status));
  }
  const total = typeof report.total_instances === "number" ? report.total_instances : statuses.size;
  return {
    label: basename(file).replace(/\.json$/, ""),
    kind: "official_run_report",
    source: file,
    dataset_source: null,
    complete_universe: statuses.size === total,
    instances,
  };
}
