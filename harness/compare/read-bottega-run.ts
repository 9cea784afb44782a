import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { z } from "zod";
import { episodeMetrics } from "./episode-metrics.ts";
import { episodesFromEvents } from "./episodes-from-events.ts";
import { instanceFolderFiles, listNames, readIfExists, trajectoryIn } from "./instance-files.ts";
import { CompareInputError, emptyOutcome, type InstanceStatus, type RunOutcomes } from "./run-outcomes.ts";

/** The parts of run.json compare reads. */
const RunJson = z.looseObject({
  config: z.looseObject({ runId: z.string(), dataset: z.string(), split: z.string().optional() }),
});

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

function parseJson(path: string): unknown {
  const text = readIfExists(path);
  if (text === null) throw new CompareInputError(path, "missing");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CompareInputError(path, `not valid JSON (${(error as Error).message})`);
  }
}

/** A Bottega run folder, results/<run_id>/: its run report, predictions, logs and trajectories. */
export function readBottegaRun(root: string): RunOutcomes {
  const runJsonPath = join(root, "run.json");
  const runJson = RunJson.safeParse(parseJson(runJsonPath));
  if (!runJson.success) {
    const issue = runJson.error.issues[0]!;
    throw new CompareInputError(runJsonPath, `field "${issue.path.join(".")}": ${issue.message}`);
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
    label: runJson.data.config.runId || basename(root),
    kind: "bottega_run",
    source: root,
    dataset_source: runJson.data.config.dataset,
    complete_universe: true,
    instances,
  };
}

/** run.json's dataset and split, to load the rows a Bottega run was graded on. */
export function bottegaRunDataset(root: string): { source: string; split: string } {
  const parsed = RunJson.parse(JSON.parse(readFileSync(join(root, "run.json"), "utf8")));
  return { source: parsed.config.dataset, split: parsed.config.split ?? "test" };
}
