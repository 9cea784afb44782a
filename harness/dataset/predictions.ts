import { existsSync } from "node:fs";
import { firstIds } from "./first-ids.ts";
import { readFile } from "node:fs/promises";
import { z } from "zod";
import type { TaskRow } from "./task-row.ts";

/** What the official harness names a run whose predictions carry no model name (`pred.get(..., "None")`). */
export const MISSING_MODEL_NAME = "None";

/**
 * One prediction as the official harness reads it. Extra keys are kept and ignored. An empty or
 * null `model_patch` is valid: such instances are reported as empty patches and not run.
 */
export const Prediction = z.looseObject({
  instance_id: z.string().min(1),
  model_name_or_path: z
    .string()
    .nullish()
    .transform((name) => name ?? MISSING_MODEL_NAME),
  model_patch: z.string().nullable(),
});
export type Prediction = z.infer<typeof Prediction>;

/** The predictions file (or one of its entries) does not follow the official format. */
export class PredictionsError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
    /** Where in the file: "line 3" (jsonl), "index 2" (json list) or `key "id"` (json map). */
    readonly location?: string,
    readonly field?: string,
  ) {
    const at = location === undefined ? "" : `, ${location}`;
    const of = field === undefined ? "" : `: field "${field}"`;
    super(`${file}${at}${of}: ${reason}`);
    this.name = "PredictionsError";
  }
}

/** Predictions for instances the dataset does not have: the official harness refuses to run. */
export class UnknownPredictionIdsError extends Error {
  constructor(
    readonly file: string,
    readonly instanceIds: string[],
  ) {
    // The official harness's words first (scripts grep for them), then which file, how many, which.
    super(
      `Some prediction IDs not found in dataset!\n${file}: ${instanceIds.length} prediction${instanceIds.length === 1 ? "" : "s"} ` +
        `name instances the dataset does not have: ${firstIds(instanceIds)}`,
    );
    this.name = "UnknownPredictionIdsError";
  }
}

interface Entry {
  value: unknown;
  location: string;
}

/**
 * Reads `.json` (a list, or an instance_id → prediction map), `.jsonl`, or the word `gold`
 * (the dataset's own patches). Keyed by instance_id; a later duplicate wins.
 * @param rows the rows to evaluate; `gold` makes one prediction per row.
 * @param options.datasetIds every id of the dataset (before any instance filter); prediction ids
 *   outside it are an error. Defaults to the ids of `rows`.
 */
export async function loadPredictions(
  pathOrGold: string,
  rows: readonly TaskRow[],
  options: { datasetIds?: Iterable<string> } = {},
): Promise<Map<string, Prediction>> {
  if (pathOrGold === "gold") {
    return new Map(
      rows.map((row) => [row.instance_id, { instance_id: row.instance_id, model_name_or_path: "gold", model_patch: row.patch }]),
    );
  }
  const predictions = new Map<string, Prediction>();
  for (const { value, location } of await readEntries(pathOrGold)) {
    const prediction = validate(pathOrGold, value, location);
    predictions.set(prediction.instance_id, prediction);
  }
  const known = new Set(options.datasetIds ?? rows.map((row) => row.instance_id));
  const unknown = [...predictions.keys()].filter((id) => !known.has(id));
  if (unknown.length > 0) throw new UnknownPredictionIdsError(pathOrGold, unknown);
  return predictions;
}

async function readEntries(file: string): Promise<Entry[]> {
  const isJson = file.endsWith(".json");
  if (!isJson && !file.endsWith(".jsonl")) throw new PredictionsError(file, "Predictions path must be .json or .jsonl");
  if (!existsSync(file)) throw new PredictionsError(file, "no such file");
  const text = await readFile(file, "utf8");

  if (!isJson) {
    const entries: Entry[] = [];
    text.split("\n").forEach((content, i) => {
      if (content.trim() === "") return;
      entries.push({ value: parseJson(file, content, `line ${i + 1}`), location: `line ${i + 1}` });
    });
    return entries;
  }
  const value = parseJson(file, text);
  if (Array.isArray(value)) return value.map((entry, i) => ({ value: entry, location: `index ${i}` }));
  if (isPlainObject(value)) {
    // SWE-agent style: only the values count, the keys are not checked against instance_id.
    return Object.entries(value).map(([key, entry]) => ({ value: entry, location: `key ${JSON.stringify(key)}` }));
  }
  throw new PredictionsError(file, "Predictions must be a list[prediction] or a dictionary[instance_id: prediction]");
}

function parseJson(file: string, text: string, location?: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new PredictionsError(file, `invalid JSON: ${(error as Error).message}`, location);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function validate(file: string, value: unknown, location: string): Prediction {
  if (!isPlainObject(value)) {
    const got = Array.isArray(value) ? "a list" : value === null ? "null" : typeof value;
    throw new PredictionsError(file, `Each prediction must be a dictionary, got ${got}`, location);
  }
  if (!("instance_id" in value)) throw new PredictionsError(file, "Each prediction must contain 'instance_id'", location);
  if (!("model_patch" in value)) {
    throw new PredictionsError(file, 'missing; expected the patch as a string (null or "" for no patch)', location, "model_patch");
  }
  const parsed = Prediction.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new PredictionsError(file, issue.message, location, issue.path.map(String).join("."));
}
