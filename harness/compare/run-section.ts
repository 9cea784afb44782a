import { basename, dirname, relative } from "node:path";
import type { CompareInputs } from "./compare-inputs.ts";
import type { RunSection } from "./compare-report.ts";
import { clusterBootstrapInterval, type BootstrapOptions } from "./bootstrap.ts";
import { IntegrityFlag, integrityFindings } from "./integrity-flags.ts";
import { readIfExists } from "./instance-files.ts";
import { quantile } from "./quantiles.ts";
import { InstanceStatus, type RunOutcomes } from "./run-outcomes.ts";
import { wilsonInterval } from "./wilson-interval.ts";

const NO_DIFFICULTY = "(unknown)";

export function rateRows(
  instanceIds: readonly string[],
  keyOf: (id: string) => string,
  solved: (id: string) => boolean,
): Array<{ key: string; resolved: number; total: number; rate: number; wilson: { low: number; high: number } }> {
  const tally = new Map<string, { resolved: number; total: number }>();
  for (const id of instanceIds) {
    const key = keyOf(id);
    const entry = tally.get(key) ?? { resolved: 0, total: 0 };
    entry.total++;
    if (solved(id)) entry.resolved++;
    tally.set(key, entry);
  }
  return [...tally]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, { resolved, total }]) => ({ key, resolved, total, rate: resolved / total, wilson: wilsonInterval(resolved, total) }));
}

export const difficultyOf = (inputs: CompareInputs) => (id: string) => inputs.rows.get(id)?.difficulty ?? NO_DIFFICULTY;
export const repositoryOf = (inputs: CompareInputs) => (id: string) => inputs.rows.get(id)?.repository ?? id;

function distribution(values: number[]): { count: number; median: number | null; p90: number | null } {
  return { count: values.length, median: quantile(values, 0.5), p90: quantile(values, 0.9) };
}

/** Paths in compare.json are relative to its folder, so the report's links work wherever it is copied with the runs. */
export function linkFrom(outDir: string, path: string | null): string | null {
  if (path === null) return null;
  // path.relative is slow enough to matter over runs × instances: resolve each folder once.
  const key = `${outDir}\0${dirname(path)}`;
  let folder = relativeFolders.get(key);
  if (folder === undefined) relativeFolders.set(key, (folder = relative(outDir, dirname(path))));
  return folder === "" ? basename(path) : `${folder}/${basename(path)}`;
}
const relativeFolders = new Map<string, string>();

/** One run's numbers over the compared instances. */
export function runSection(run: RunOutcomes, inputs: CompareInputs, outDir: string, options: BootstrapOptions): RunSection {
  const ids = inputs.instanceIds;
  const n = ids.length;
  const outcome = (id: string) => run.instances.get(id)!;
  const solved = (id: string) => outcome(id).status === "resolved";
  const statusCounts = Object.fromEntries(InstanceStatus.options.map((s) => [s, 0])) as Record<InstanceStatus, number>;
  const exitStatuses: Record<string, number> = {};
  const steps: number[] = [];
  const tokens: number[] = [];
  const wall: number[] = [];
  let applyFailures = 0;
  let applyKnown = false;
  let episodes = 0;
  let patchesChecked = 0;
  let logsChecked = 0;
  const byFlag = Object.fromEntries(IntegrityFlag.options.map((f) => [f, 0])) as Record<IntegrityFlag, number>;
  const flaggedInstances: RunSection["integrity"]["instances"] = [];
  let flaggedResolved = 0;
  for (const id of ids) {
    const o = outcome(id);
    statusCounts[o.status]++;
    if (o.patch_apply_failed !== null) {
      applyKnown = true;
      if (o.patch_apply_failed) applyFailures++;
    }
    if (o.steps !== null || o.exit_status !== null) {
      episodes++;
      if (o.exit_status !== null) exitStatuses[o.exit_status] = (exitStatuses[o.exit_status] ?? 0) + 1;
      if (o.steps !== null) steps.push(o.steps);
      if (o.tokens !== null) tokens.push(o.tokens);
      if (o.wall_seconds !== null) wall.push(o.wall_seconds);
    }
    const testLog = o.test_log_path === null ? null : readIfExists(o.test_log_path);
    if (testLog === null) o.test_log_path = null; // no link to a log that is not there
    if (o.patch) patchesChecked++;
    if (testLog !== null) logsChecked++;
    const finding = integrityFindings({ patch: o.patch, testPatch: inputs.rows.get(id)?.test_patch ?? null, testLog });
    if (finding.flags.length > 0) {
      for (const flag of finding.flags) byFlag[flag]++;
      flaggedInstances.push({ instance_id: id, flags: finding.flags, files: finding.files });
      if (o.status === "resolved") flaggedResolved++;
    }
  }
  const resolved = statusCounts.resolved;
  const byRepository = rateRows(ids, repositoryOf(inputs), solved);
  return {
    label: run.label,
    kind: run.kind,
    source: linkFrom(outDir, run.source)!,
    dataset_source: run.dataset_source,
    n,
    resolved,
    rate: resolved / n,
    wilson: wilsonInterval(resolved, n),
    cluster_bootstrap: clusterBootstrapInterval(byRepository, options),
    status_counts: statusCounts,
    no_prediction_ids: ids.filter((id) => outcome(id).status === "no_prediction"),
    empty_patch_rate: statusCounts.empty_patch / n,
    patch_apply_failures: applyKnown ? applyFailures : null,
    patch_apply_failure_rate: applyKnown ? applyFailures / n : null,
    episodes,
    exit_statuses: exitStatuses,
    steps: distribution(steps),
    tokens: distribution(tokens),
    wall_seconds: distribution(wall),
    by_repository: byRepository,
    by_difficulty: rateRows(ids, difficultyOf(inputs), solved),
    integrity: {
      patches_checked: patchesChecked,
      logs_checked: logsChecked,
      flagged: flaggedInstances.length,
      by_flag: byFlag,
      flagged_resolved: flaggedResolved,
      instances: flaggedInstances,
    },
  };
}
