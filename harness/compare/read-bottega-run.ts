import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import type { RunConfig } from "../run/run-config.ts";
import { readRunJson } from "../run/run-json.ts";
import { RunJsonError } from "../run/run-json-head.ts";
import { episodeMetrics } from "./episode-metrics.ts";
import { episodesFromEvents } from "./episodes-from-events.ts";
import { instanceFolderFiles, listNames, readIfExists, trajectoryIn } from "./instance-files.ts";
import { CompareInputError, emptyOutcome, type InstanceStatus, type RunOutcomes } from "./run-outcomes.ts";

/** The official run report's id lists, in the order an id is looked up (an id is in one list). */
const STATUS_LISTS: ReadonlyArray<[string, InstanceStatus]> = [
  ["resolved_ids", "resolved"],
  ["unresolved_ids", "unresolved"],
  ["empty_patch_ids", "empty_patch"],
  ["error_ids", "error"],
  ["incomplete_ids", "no_prediction"],
];

/** The official run report's lists as a status per instance id; a list that is not a list of strings is an error. */
export function statusesFromRunReport(report: unknown, file: string): Map<string, InstanceStatus> {
  if (typeof report !== "object" || report === null || Array.isArray(report)) {
    throw new CompareInputError(file, "expected a JSON object (the official run report)");
  }
  const statuses = new Map<string, InstanceStatus>();
  for (const [key, status] of STATUS_LISTS) {
    const ids = (report as Record<string, unknown>)[key];
    if (ids === undefined) continue;
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== "string")) {
      throw new CompareInputError(file, `field "${key}": expected a list of instance ids`);
    }
    for (const id of ids as string[]) if (!statuses.has(id)) statuses.set(id, status);
  }
  if (!Object.hasOwn(report, "resolved_ids"))
    throw new CompareInputError(file, `field "resolved_ids": missing (expected the official run report)`);
  return statuses;
}

/** A Bottega run folder, results/<run_id>/: its run report, predictions, logs and trajectories. */
export function readBottegaRun(root: string): RunOutcomes {
  const runJsonPath = join(root, "run.json");
  if (!existsSync(runJsonPath)) throw new CompareInputError(runJsonPath, "missing");
  let config: RunConfig;
  try {
    config = readRunJson(runJsonPath).config;
  } catch (error) {
    if (error instanceof RunJsonError) throw new CompareInputError(error.file, error.detail);
    throw error;
  }
  const reportPath = join(root, "report.json");
  const report = readIfExists(reportPath);
  if (report === null)
    throw new CompareInputError(reportPath, "missing: the run has not been graded (run `bottega grade --run-id` or finish it)");
  let parsedReport: unknown;
  try {
    parsedReport = JSON.parse(report);
  } catch (error) {
    throw new CompareInputError(reportPath, `not valid JSON (${(error as Error).message})`);
  }
  const statuses = statusesFromRunReport(parsedReport, reportPath);

  const patches = new Map<string, string | null>();
  const predictionsText = readIfExists(join(root, "predictions.jsonl")) ?? "";
  for (const line of predictionsText.split("\n")) {
    if (!line.trim()) continue;
    try {
      const p = JSON.parse(line) as { instance_id?: unknown; model_patch?: unknown };
      if (typeof p.instance_id === "string") patches.set(p.instance_id, typeof p.model_patch === "string" ? p.model_patch : null);
    } catch {
      // A torn last line (a crash mid-append) carries no prediction.
    }
  }

  const trajectoriesDir = join(root, "trajectories");
  const trajectoryNames = listNames(trajectoriesDir);
  const logNames = listNames(join(root, "logs"));
  const episodes = episodesFromEvents(join(root, "events.jsonl"));
  const instances: RunOutcomes["instances"] = new Map();
  for (const [id, status] of statuses) {
    const outcome = emptyOutcome(id, status);
    outcome.patch = patches.get(id) ?? null;
    if (logNames.has(id)) {
      const dir = join(root, "logs", id);
      if (status === "error") {
        // Only an error can be a patch that did not apply; everything graded applied.
        const files = instanceFolderFiles(dir);
        outcome.test_log_path = files.testLogPath;
        outcome.patch_apply_failed = files.patchApplyFailed;
        outcome.patch ??= files.patch;
      } else if (status === "resolved" || status === "unresolved") {
        outcome.test_log_path = join(dir, "test_output.txt");
        outcome.patch_apply_failed = false;
      }
    }
    outcome.trajectory_path = trajectoryIn(trajectoriesDir, trajectoryNames, id);
    const episode = episodes.get(id);
    // A run without episode events (written by other tools, or before events existed): read the trajectory.
    if (episode) Object.assign(outcome, episode);
    else if (outcome.trajectory_path) Object.assign(outcome, episodeMetrics(outcome.trajectory_path));
    instances.set(id, outcome);
  }
  return {
    label: config.runId || basename(root),
    kind: "bottega_run",
    source: root,
    dataset_source: config.dataset,
    complete_universe: true,
    instances,
  };
}
