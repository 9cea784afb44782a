import { resolve } from "node:path";
import { loadDataset } from "../dataset/dataset.ts";
import { readRunInput } from "./read-run-input.ts";
import { emptyOutcome, type RunOutcomes } from "./run-outcomes.ts";

/** What compare needs of a dataset row. */
export interface RowInfo {
  repository: string;
  difficulty: string | null;
  test_patch: string | null;
}

export interface CompareInputs {
  runs: RunOutcomes[];
  /** The instances every run has, in a stable order (sorted ids). */
  instanceIds: string[];
  rows: Map<string, RowInfo>;
  excluded: Array<{ run: string; instance_ids: string[] }>;
  warnings: string[];
}

/** The runs do not cover the same instances and --allow-different-instances was not given. */
export class DifferentInstancesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DifferentInstancesError";
  }
}

/** `owner__name-123` → `owner/name`, for inputs without dataset rows. */
export function repositoryOfId(instanceId: string): string {
  const match = /^(.+?)__(.+)-\d+$/.exec(instanceId);
  return match ? `${match[1]}/${match[2]}` : instanceId;
}

const noNetwork: typeof fetch = async (url) => {
  throw new Error(`compare does not download datasets (${String(url)}); pass --dataset with a local file`);
};

async function loadRows(source: string, split: string): Promise<{ rows: Map<string, RowInfo>; ids: string[] }> {
  const dataset = await loadDataset({ source, split, fetch: noNetwork });
  const rows = new Map<string, RowInfo>();
  for (const row of dataset.rows) {
    rows.set(row.instance_id, { repository: row.repo, difficulty: row.difficulty ?? null, test_patch: row.test_patch });
  }
  return { rows, ids: dataset.rows.map((row) => row.instance_id) };
}

function preview(ids: string[]): string {
  return ids.slice(0, 3).join(", ") + (ids.length > 3 ? `, … (${ids.length})` : "");
}

/**
 * Reads every argument, completes the runs that list only some instances from --dataset,
 * and matches instances by id across runs: a run without an instance the others have is an
 * error, unless --allow-different-instances, which compares the common instances and lists the rest.
 */
export async function readCompareInputs(input: {
  arguments: string[];
  resultsDir: string;
  dataset?: string;
  split?: string;
  allowDifferentInstances: boolean;
}): Promise<CompareInputs> {
  const runs = input.arguments.map((argument) => readRunInput(argument, input.resultsDir));
  // Two inputs with the same name (two models' logs/run_evaluation/<run_id>/…) stay tellable apart.
  const seen = new Map<string, number>();
  for (const run of runs) {
    const count = (seen.get(run.label) ?? 0) + 1;
    seen.set(run.label, count);
    if (count > 1) run.label = `${run.label}#${count}`;
  }
  const warnings: string[] = [];
  const rows = new Map<string, RowInfo>();

  if (input.dataset) {
    const dataset = await loadRows(input.dataset, input.split ?? "test");
    for (const [id, row] of dataset.rows) rows.set(id, row);
    const datasetIds = new Set(dataset.ids);
    for (const run of runs) {
      const unknown = [...run.instances.keys()].filter((id) => !datasetIds.has(id));
      if (unknown.length > 0 && !input.allowDifferentInstances) {
        throw new DifferentInstancesError(
          `${run.source}: ${unknown.length} instances are not in --dataset ${input.dataset}: ${preview(unknown)}`,
        );
      }
      if (!run.complete_universe) {
        // The official report counts a dataset row without a prediction against the rate.
        for (const id of dataset.ids)
          if (!run.instances.has(id))
            run.instances.set(id, emptyOutcome(id, run.kind === "experiments_results" ? "unresolved" : "no_prediction"));
        run.complete_universe = true;
      }
    }
  } else {
    const loaded = new Map<string, Promise<{ rows: Map<string, RowInfo> }>>();
    for (const run of runs) {
      if (run.dataset_source === null) continue;
      const source = resolve(run.dataset_source);
      const key = run.dataset_source === "verified" ? "verified" : source;
      if (!loaded.has(key)) loaded.set(key, loadRows(run.dataset_source === "verified" ? "verified" : source, "test"));
      try {
        for (const [id, row] of (await loaded.get(key)!).rows) rows.set(id, row);
      } catch (error) {
        warnings.push(
          `${run.label}: its dataset ${run.dataset_source} could not be read (${(error as Error).message}); repositories come from instance ids and difficulty is unknown; pass --dataset`,
        );
      }
    }
    for (const run of runs) {
      if (!run.complete_universe)
        warnings.push(
          `${run.label}: only the instances it lists are known (${run.instances.size}); pass --dataset to count the others as unsubmitted`,
        );
    }
  }

  // Match by id.
  const common = [...runs[0]!.instances.keys()].filter((id) => runs.every((run) => run.instances.has(id)));
  const commonSet = new Set(common);
  const excluded = runs
    .map((run) => ({ run: run.label, instance_ids: [...run.instances.keys()].filter((id) => !commonSet.has(id)).sort() }))
    .filter((entry) => entry.instance_ids.length > 0);
  if (excluded.length > 0 && !input.allowDifferentInstances) {
    const detail = runs.map((run) => `${run.label} has ${run.instances.size}`).join(", ");
    const first = excluded[0]!;
    throw new DifferentInstancesError(
      `the runs cover different instances (${detail}; ${common.length} in common; only in ${first.run}: ${preview(first.instance_ids)}). ` +
        "Pass --dataset to complete runs that list only some instances, or --allow-different-instances to compare the common ones.",
    );
  }
  if (common.length === 0) throw new DifferentInstancesError("the runs have no instance in common");
  for (const id of common) if (!rows.has(id)) rows.set(id, { repository: repositoryOfId(id), difficulty: null, test_patch: null });
  return { runs, instanceIds: common.sort(), rows, excluded, warnings };
}
