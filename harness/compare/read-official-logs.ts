import { statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { episodeMetrics } from "./episode-metrics.ts";
import { instanceFolderFiles, listNames, trajectoryIn } from "./instance-files.ts";
import { CompareInputError, emptyOutcome, type InstanceStatus, type RunOutcomes } from "./run-outcomes.ts";

const INSTANCE_ID = /^[^/]+__[^/]+-\d+$/;
const INSTANCE_FILES = ["report.json", "test_output.txt", "patch.diff", "run_instance.log"];

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The sub-folders that look like official per-instance folders (they hold one of its files). */
export function instanceFolders(dir: string): string[] {
  const found: string[] = [];
  for (const name of listNames(dir)) {
    const path = join(dir, name);
    if (!isDirectory(path)) continue;
    const names = listNames(path);
    // A folder named like an instance id counts even when it is empty (a run interrupted there).
    if (INSTANCE_FILES.some((file) => names.has(file)) || INSTANCE_ID.test(name)) found.push(name);
  }
  return found.sort();
}

/**
 * How the official run report counts one folder (§8.5): a readable report.json decides
 * resolved/unresolved; none, or one without the instance's `resolved` key, is an error.
 */
function statusFromReport(text: string | null, instanceId: string): InstanceStatus {
  if (text === null || !text.trim()) return "error";
  try {
    const parsed = JSON.parse(text) as Record<string, { resolved?: unknown } | undefined>;
    const entry = parsed[instanceId];
    if (!entry || !Object.hasOwn(entry, "resolved")) return "error";
    return entry.resolved ? "resolved" : "unresolved";
  } catch {
    return "error";
  }
}

/**
 * The official harness's output folder, logs/run_evaluation/<run_id>/<model>/ (or an
 * experiments submission's logs/): one folder per instance with report.json. Trajectories are
 * found in a `trajs/` folder beside it, as submissions keep them. Without a dataset the run's
 * instances are only the folders it has.
 */
export function readOfficialLogs(dir: string, label = officialLogsLabel(dir)): RunOutcomes {
  const folders = instanceFolders(dir);
  if (folders.length === 0)
    throw new CompareInputError(dir, "no instance folders (expected <instance_id>/report.json, as the official harness writes)");
  const trajsDir = join(dirname(dir), "trajs");
  const trajNames = listNames(trajsDir);
  const instances: RunOutcomes["instances"] = new Map();
  for (const id of folders) {
    const files = instanceFolderFiles(join(dir, id));
    const outcome = emptyOutcome(id, statusFromReport(files.reportText, id));
    outcome.patch = files.patch;
    outcome.test_log_path = files.testLogPath;
    outcome.patch_apply_failed = files.patchApplyFailed;
    outcome.trajectory_path = trajectoryIn(trajsDir, trajNames, id);
    if (outcome.trajectory_path) Object.assign(outcome, episodeMetrics(outcome.trajectory_path));
    instances.set(id, outcome);
  }
  return { label, kind: "official_logs", source: dir, dataset_source: null, complete_universe: false, instances };
}

/** logs/run_evaluation/<run_id>/<model>/ is named after its run id; any other folder after itself. */
function officialLogsLabel(dir: string): string {
  const parent = dirname(dir);
  if (basename(dirname(parent)) === "run_evaluation") return basename(parent);
  return basename(dir);
}
