import { basename, dirname, join } from "node:path";
import { instanceFolders, readOfficialLogs } from "./read-official-logs.ts";
import { CompareInputError, emptyOutcome, type InstanceStatus, type RunOutcomes } from "./run-outcomes.ts";

const LISTS: ReadonlyArray<[string, InstanceStatus]> = [
  ["resolved", "resolved"],
  ["no_generation", "no_prediction"],
  ["no_logs", "error"],
];

/**
 * A SWE-bench experiments submission's results/results.json: `resolved`, `no_generation` (no
 * patch) and `no_logs` lists. The unresolved instances are not listed, so the instance set is
 * completed from --dataset (every other row is unresolved) or from the submission's logs/.
 */
export function readExperimentsResults(file: string, results: Record<string, unknown>): RunOutcomes {
  const statuses = new Map<string, InstanceStatus>();
  for (const [key, status] of LISTS) {
    const ids = results[key];
    if (ids === undefined) continue;
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== "string")) {
      throw new CompareInputError(file, `field "${key}": expected a list of instance ids`);
    }
    for (const id of ids as string[]) if (!statuses.has(id)) statuses.set(id, status);
  }
  // evaluation/<split>/<submission>/results/results.json: logs/ and trajs/ are in <submission>/.
  const submission = basename(dirname(file)) === "results" ? dirname(dirname(file)) : dirname(file);
  const logsDir = join(submission, "logs");
  const logs = instanceFolders(logsDir).length > 0 ? readOfficialLogs(logsDir) : null;
  const instances: RunOutcomes["instances"] = new Map();
  for (const id of new Set([...statuses.keys(), ...(logs?.instances.keys() ?? [])])) {
    const found = logs?.instances.get(id);
    const status = statuses.get(id) ?? "unresolved";
    instances.set(id, found ? { ...found, status } : emptyOutcome(id, status));
  }
  return {
    label: basename(submission),
    kind: "experiments_results",
    source: file,
    dataset_source: null,
    complete_universe: false,
    instances,
  };
}
