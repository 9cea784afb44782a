import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { readBottegaRun } from "./read-bottega-run.ts";
import { readExperimentsResults } from "./read-experiments-results.ts";
import { instanceFolders, readOfficialLogs } from "./read-official-logs.ts";
import { readOfficialRunReport } from "./read-official-report.ts";
import { readIfExists } from "./instance-files.ts";
import { CompareInputError, type RunOutcomes } from "./run-outcomes.ts";

function readJsonObject(file: string): Record<string, unknown> {
  const text = readIfExists(file);
  if (text === null) throw new CompareInputError(file, "cannot be read");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CompareInputError(file, `not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new CompareInputError(file, "expected a JSON object");
  return parsed as Record<string, unknown>;
}

function readJsonInput(file: string): RunOutcomes {
  const json = readJsonObject(file);
  if ("resolved_ids" in json) return readOfficialRunReport(file, json);
  if ("resolved" in json) return readExperimentsResults(file, json);
  throw new CompareInputError(
    file,
    'expected an official run report (a "resolved_ids" field) or an experiments results.json (a "resolved" field)',
  );
}

/**
 * One command-line argument, whatever it names: a Bottega run (its folder, or its id under
 * the results folder), an official harness output folder, an official run report, or an
 * experiments results.json (or the submission folder holding results/results.json).
 */
export function readRunInput(argument: string, resultsDir: string): RunOutcomes {
  const path = resolve(argument);
  if (!existsSync(path)) {
    const asRunId = resolve(resultsDir, argument);
    if (existsSync(join(asRunId, "run.json"))) return readBottegaRun(asRunId);
    throw new CompareInputError(argument, `neither a file, a folder, nor a run id in ${resultsDir}/ (no ${join(asRunId, "run.json")})`);
  }
  if (statSync(path).isFile()) return readJsonInput(path);
  if (existsSync(join(path, "run.json"))) return readBottegaRun(path);
  if (existsSync(join(path, "results", "results.json"))) return readJsonInput(join(path, "results", "results.json"));
  if (instanceFolders(path).length > 0) return readOfficialLogs(path);
  throw new CompareInputError(
    path,
    "not a Bottega run (no run.json), an official logs folder (no <instance_id>/report.json) or an experiments submission (no results/results.json)",
  );
}
