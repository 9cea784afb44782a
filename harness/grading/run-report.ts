import { triageFailureLogs } from "./failure-triage.ts";
import { pyCompareStrings, pyStrip } from "./parsers/python-text.ts";
import { pythonJsonDumps } from "./python-json.ts";
import type { Semantics } from "./test-status.ts";

/** A prediction as the run report sees it; `model_patch` "" or null/absent means "empty patch". */
export interface RunReportPrediction {
  instance_id: string;
  model_name_or_path: string;
  model_patch?: string | null | undefined;
}

/** The per-instance files the run report looks at, under `<run>/<model>/<instance_id>/`. */
export type InstanceFile = "report.json" | "test_output.txt" | "run_instance.log";

export interface RunReportInput {
  /** The dataset rows after the `--instance_ids` filter (the official `full_dataset`). */
  dataset: ReadonlyArray<{ instance_id: string }>;
  /** Predictions keyed by instance id, in file order (a duplicate id keeps its first position). */
  predictions: ReadonlyMap<string, RunReportPrediction>;
  /** The file's text, or null if it does not exist. */
  readInstanceFile: (prediction: RunReportPrediction, file: InstanceFile) => string | null;
  semantics?: Semantics;
  /**
   * v5 only, what a Docker client reports after the run: containers whose name holds the run id
   * and instance images still present. v5 writes these keys when it has a client. (v4.1.0's
   * condition is inverted, so a local run, which always has a client, never writes them.)
   */
  dockerLeftovers?: { unstoppedContainers: readonly string[]; unremovedImages: readonly string[] };
}

/** The final run report's object, keys in the official order (v4.1.0, or v5 with its extra keys). */
export type RunReport = Readonly<Record<string, number | readonly string[] | ReadonlyMap<string, string>>>;

/** There is no prediction to name the report file after (the official code raises IndexError). */
export class NoPredictionsError extends Error {
  constructor() {
    super("the run report is named after the first prediction's model, but there are no predictions");
    this.name = "NoPredictionsError";
  }
}

const sorted = (ids: Iterable<string>): string[] => [...ids].sort(pyCompareStrings);

/** Python truthiness of a JSON value. */
function pyTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === "") return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object") return Object.keys(value).length > 0;
  return true;
}

/**
 * How the official report reads one report.json: an empty file, invalid JSON or a missing key is
 * an error; otherwise the `resolved` value's truthiness decides. (Where Python would crash the
 * whole report — a JSON value that is not an object at either level — we count an error too.)
 */
function readOutcome(text: string, instanceId: string): "resolved" | "unresolved" | "error" {
  const content = pyStrip(text);
  if (!content) return "error";
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    return "error";
  }
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObject(parsed) || !Object.hasOwn(parsed, instanceId)) return "error";
  const result = parsed[instanceId];
  if (!isObject(result) || !Object.hasOwn(result, "resolved")) return "error";
  return pyTruthy(result.resolved) ? "resolved" : "unresolved";
}

/** `make_run_report`: tallies each dataset row by its prediction and its report.json. */
export function makeRunReport(input: RunReportInput): RunReport {
  const { dataset, predictions, readInstanceFile } = input;
  const semantics = input.semantics ?? "v4";
  const completed = new Set<string>();
  const resolved = new Set<string>();
  const unresolved = new Set<string>();
  const errors = new Set<string>();
  const incomplete = new Set<string>();
  const emptyPatch = new Set<string>();

  for (const { instance_id: id } of dataset) {
    const prediction = predictions.get(id);
    if (!prediction) {
      incomplete.add(id);
      continue;
    }
    if (prediction.model_patch === "" || prediction.model_patch == null) {
      emptyPatch.add(id);
      continue;
    }
    const text = readInstanceFile(prediction, "report.json");
    if (text === null) {
      // No report: the patch did not apply, the run timed out or crashed.
      errors.add(id);
      continue;
    }
    completed.add(id);
    const outcome = readOutcome(text, id);
    ({ resolved, unresolved, error: errors })[outcome].add(id);
  }

  const report: Record<string, number | string[] | ReadonlyMap<string, string>> = {
    total_instances: dataset.length,
    submitted_instances: predictions.size,
    completed_instances: completed.size,
    resolved_instances: resolved.size,
    unresolved_instances: unresolved.size,
  };

  // v5: advisory triage of the non-resolved instances; the ids stay where they are.
  const triage = semantics === "v5" ? triageUnresolved([...unresolved, ...errors], predictions, readInstanceFile) : undefined;
  // Key order is the official one: v5's triage keys sit between v4's.
  Object.assign(report, {
    ...(triage && { infra_failure_instances: triage.infra.size, ambiguous_failure_instances: triage.ambiguous.size }),
    empty_patch_instances: emptyPatch.size,
    error_instances: errors.size,
    completed_ids: sorted(completed),
    incomplete_ids: sorted(incomplete),
    empty_patch_ids: sorted(emptyPatch),
    submitted_ids: sorted(predictions.keys()),
    resolved_ids: sorted(resolved),
    unresolved_ids: sorted(unresolved),
    ...(triage && {
      infra_failure_ids: sorted(triage.infra),
      ambiguous_failure_ids: sorted(triage.ambiguous),
      failure_reasons: new Map(sorted(triage.reasons.keys()).map((id) => [id, triage.reasons.get(id)!])),
    }),
    error_ids: sorted(errors),
    schema_version: 2,
  });
  if (semantics === "v4") return report;
  if (input.dockerLeftovers) {
    const containers = new Set(input.dockerLeftovers.unstoppedContainers);
    Object.assign(report, {
      unstopped_instances: containers.size,
      unstopped_containers: sorted(containers),
      unremoved_images: sorted(new Set(input.dockerLeftovers.unremovedImages)),
    });
  }
  return report;
}

/** The run report file's text: `json.dumps(report, indent=4)` plus print()'s newline. */
export function serializeRunReport(report: RunReport): string {
  return pythonJsonDumps(report, { indent: 4 }) + "\n";
}

/** `<first prediction's model_name_or_path with "/" → "__">.<run_id>.json`. */
export function runReportFileName(predictions: ReadonlyMap<string, RunReportPrediction>, runId: string): string {
  const first = predictions.values().next();
  if (first.done) throw new NoPredictionsError();
  return `${first.value.model_name_or_path.replaceAll("/", "__")}.${runId}.json`;
}

/** v5's triage of unresolved and errored instances from their logs: environment failures, ambiguous ones, and why. */
function triageUnresolved(
  ids: readonly string[],
  predictions: RunReportInput["predictions"],
  readInstanceFile: RunReportInput["readInstanceFile"],
): { infra: Set<string>; ambiguous: Set<string>; reasons: Map<string, string> } {
  const infra = new Set<string>();
  const ambiguous = new Set<string>();
  const reasons = new Map<string, string>();
  for (const id of new Set(ids)) {
    const prediction = predictions.get(id)!;
    const found = triageFailureLogs(readInstanceFile(prediction, "test_output.txt"), readInstanceFile(prediction, "run_instance.log"));
    if (!found) continue;
    reasons.set(id, found.reason);
    (found.tier === "environment" ? infra : ambiguous).add(id);
  }
  return { infra, ambiguous, reasons };
}
