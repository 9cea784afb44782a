import { resolve } from "node:path";
import { isDeepStrictEqual } from "node:util";
import type { RunConfig } from "./run-config.ts";
import type { RunRecord } from "./run-json.ts";

/**
 * The settings that decide what a run measures: what the model sees and how it is sampled, which
 * tasks and how they are graded. Resuming a run under different ones would mix two experiments in
 * one report. Everything else (workers, endpoints, timeouts, limits, retries) may change between
 * invocations: a run resumed after OOM kills with more memory is still the same experiment.
 */
const DECISIVE: readonly (readonly string[])[] = [
  ["dataset"],
  ["split"],
  ["model", "sampling"],
  ["model", "extraBody"],
  ["model", "maxModelLen"],
  ["model", "contextMarginTokens"],
  ["profile"],
  ["observationMode"],
  ["agent"],
  ["templatesPath"],
  ["reviewOnSubmit"],
  ["evalScript"],
  ["resetPolicy"],
  ["grading"],
];

/** One decisive setting that differs from the run's run.json: its RunConfig path and both values. */
export interface ConfigChange {
  field: readonly string[];
  before: unknown;
  now: unknown;
}

/** A resume asked for a different experiment than the run folder holds. */
export class ChangedConfigError extends Error {
  constructor(
    readonly file: string,
    readonly changes: readonly ConfigChange[],
  ) {
    super(`${file}: this run was started with other settings (${changes.map((change) => describeChange(change)).join("; ")})`);
    this.name = "ChangedConfigError";
  }
}

const shown = (value: unknown) => (value === undefined ? "unset" : JSON.stringify(value));

/** "field: before → now", the field named by `name` (a flag, for the command line). */
export function describeChange(change: ConfigChange, name: (field: readonly string[]) => string = (f) => f.join(".")): string {
  return `${name(change.field)}: ${shown(change.before)} → ${shown(change.now)}`;
}

function valueAt(config: RunConfig, path: readonly string[]): unknown {
  let value: unknown = config;
  for (const key of path) value = (value as Record<string, unknown> | undefined)?.[key];
  return value;
}

/** Leaf-level differences under one setting, so a change inside `agent` names its own field. */
function differences(path: readonly string[], before: unknown, now: unknown): ConfigChange[] {
  if (isDeepStrictEqual(before, now)) return [];
  const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isRecord(before) || !isRecord(now)) return [{ field: path, before, now }];
  const keys = [...new Set([...Object.keys(before), ...Object.keys(now)])];
  return keys.flatMap((key) => differences([...path, key], before[key], now[key]));
}

/**
 * What differs between the run as run.json recorded it and this invocation: the decisive
 * settings, the model's name and whether it grades given predictions or runs the agent (grading
 * the run's own predictions.jsonl, `runPredictions`, after `bottega run` continues the same run).
 */
export function configChanges(
  previous: RunRecord,
  config: RunConfig,
  modelName: string | undefined,
  runPredictions: string,
): ConfigChange[] {
  // As run.json holds them: a field set to undefined and one left out are the same setting.
  const stored = (c: RunConfig, path: readonly string[]) => {
    const value = valueAt(c, path);
    return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
  };
  const mode = (c: RunConfig) => (c.predictions === undefined ? "agent" : "predictions");
  const changes: ConfigChange[] = [];
  const gradesOwnPredictions = config.predictions !== undefined && resolve(config.predictions) === resolve(runPredictions);
  if (mode(previous.config) !== mode(config) && !gradesOwnPredictions)
    changes.push({ field: ["mode"], before: mode(previous.config), now: mode(config) });
  // A grading run's model name comes from its predictions, which may be replaced between invocations.
  if (mode(config) === "agent" && previous.model_name !== modelName)
    changes.push({ field: ["modelName"], before: previous.model_name, now: modelName });
  // The model's settings mean something only when both invocations run it.
  const bothRunTheModel = previous.config.model !== undefined && config.model !== undefined;
  for (const path of DECISIVE) {
    if (path[0] === "model" && !bothRunTheModel) continue;
    changes.push(...differences(path, stored(previous.config, path), stored(config, path)));
  }
  return changes;
}
