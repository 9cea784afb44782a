import { randomBytes } from "node:crypto";
import { firstIds } from "./first-ids.ts";
import { existsSync, statSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import { asyncBufferFromFile, parquetReadObjects } from "hyparquet";
import type { z } from "zod";
import { RepoSpecMap } from "./repo-spec.ts";
import { TaskRow } from "./task-row.ts";

export const VERIFIED_URL = "https://huggingface.co/datasets/SWE-bench/SWE-bench_Verified/resolve/main/data/test-00000-of-00001.parquet";
const VERIFIED_ALIASES = ["verified", "swe-bench/swe-bench_verified", "princeton-nlp/swe-bench_verified"];
const VERIFIED_CACHE_FILE = path.join("SWE-bench_Verified", "test-00000-of-00001.parquet");
export const DEFAULT_CACHE_DIR = path.join(homedir(), ".cache", "bottega", "datasets");
const SPLIT_EXTENSIONS = [".parquet", ".jsonl", ".json"];

export interface LoadDatasetOptions {
  /** A .parquet / .jsonl / .json file, a folder holding `<split>.<ext>`, or the alias `verified`. */
  source: string;
  split?: string;
  /** Keep only these instance ids (dataset order is kept); an unknown id is an error. */
  instances?: string[];
  /** Where the `verified` alias is cached; default ~/.cache/bottega/datasets. */
  cacheDir?: string;
  /** Used to download the `verified` alias; injectable so tests never touch the network. */
  fetch?: typeof globalThis.fetch;
}

export interface LoadedDataset {
  rows: TaskRow[];
  /** The dataset's own specs (specs.json beside it), for repos outside the official map. */
  specs: RepoSpecMap;
  /** The file the rows were read from. */
  source: string;
  /** Every instance id of the dataset, before the `instances` filter. */
  datasetIds: string[];
}

/** The source does not name something we can load. */
export class DatasetSourceError extends Error {
  constructor(
    readonly source: string,
    readonly reason: string,
  ) {
    super(`dataset "${source}": ${reason}`);
    this.name = "DatasetSourceError";
  }
}

/** The file exists but is not valid JSON / JSONL / parquet of the expected shape. */
export class DatasetParseError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly line?: number,
  ) {
    super(`${file}${line === undefined ? "" : `, line ${line}`}: ${reason}`);
    this.name = "DatasetParseError";
  }
}

/** One row does not match the task-row schema. */
export class DatasetRowError extends Error {
  constructor(
    readonly file: string,
    /** 0-based position of the row in the file. */
    readonly index: number,
    readonly instanceId: string | undefined,
    /** Dotted path of the offending field, e.g. `base_commit` or `FAIL_TO_PASS.3`. */
    readonly field: string,
    readonly expected: string,
    readonly line?: number,
  ) {
    const where = line === undefined ? `row ${index}` : `row ${index} (line ${line})`;
    const which = instanceId === undefined ? "" : ` instance_id "${instanceId}"`;
    super(`${file}: ${where}${which}: field "${field}": ${expected}`);
    this.name = "DatasetRowError";
  }
}

export class DuplicateInstanceError extends Error {
  constructor(
    readonly file: string,
    readonly instanceId: string,
    readonly indexes: [number, number],
  ) {
    super(`${file}: instance_id "${instanceId}" appears twice (rows ${indexes[0]} and ${indexes[1]})`);
    this.name = "DuplicateInstanceError";
  }
}

export class UnknownInstancesError extends Error {
  constructor(
    readonly file: string,
    readonly instanceIds: string[],
  ) {
    super(
      `Some instance IDs not found in dataset ${file}!\n${instanceIds.length} requested instance${instanceIds.length === 1 ? " is" : "s are"} not in it: ${firstIds(instanceIds)}`,
    );
    this.name = "UnknownInstancesError";
  }
}

/** specs.json beside the dataset is not a repo → version → spec map. */
export class SpecsFileError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly expected: string,
  ) {
    super(`${file}: ${field === "" ? "" : `field "${field}": `}${expected}`);
    this.name = "SpecsFileError";
  }
}

/** The `verified` alias is not cached and could not be downloaded. */
export class DatasetDownloadError extends Error {
  constructor(
    readonly url: string,
    readonly cachePath: string,
    readonly reason: string,
  ) {
    super(
      `dataset "verified" is not cached at ${cachePath} and downloading ${url} failed: ${reason}. ` +
        `The alias needs the network once; alternatively download that parquet file elsewhere ` +
        `and pass its path as the dataset (a local .parquet, .jsonl, .json or folder works offline).`,
    );
    this.name = "DatasetDownloadError";
  }
}

export async function loadDataset(options: LoadDatasetOptions): Promise<LoadedDataset> {
  const split = options.split ?? "test";
  const { file, specsFile } = await resolveSource(options, split);
  const rows = await readRows(file);
  const datasetIds = checkUnique(file, rows);
  const specs = specsFile === undefined ? {} : await readSpecs(specsFile);
  return { rows: filterInstances(file, rows, options.instances), specs, source: file, datasetIds };
}

async function resolveSource(options: LoadDatasetOptions, split: string): Promise<{ file: string; specsFile?: string }> {
  const { source } = options;
  // A local path that happens to share an alias name (a folder called "verified") wins.
  if (VERIFIED_ALIASES.includes(source.toLowerCase()) && !existsSync(source)) {
    if (split !== "test") throw new DatasetSourceError(source, `SWE-bench Verified has only the "test" split, not "${split}"`);
    return { file: await cachedVerified(options.cacheDir ?? DEFAULT_CACHE_DIR, options.fetch ?? globalThis.fetch) };
  }
  if (!existsSync(source)) {
    throw new DatasetSourceError(
      source,
      `no such file or folder (expected a .parquet, .jsonl or .json file, a folder holding ${split}.parquet, or "verified")`,
    );
  }
  const absolute = path.resolve(source);
  if (statSync(absolute).isDirectory()) {
    const file = SPLIT_EXTENSIONS.map((ext) => path.join(absolute, split + ext)).find((f) => existsSync(f));
    if (file === undefined) {
      throw new DatasetSourceError(source, `folder holds none of ${SPLIT_EXTENSIONS.map((ext) => split + ext).join(", ")}`);
    }
    return { file, specsFile: specsBeside(absolute) };
  }
  if (!SPLIT_EXTENSIONS.some((ext) => absolute.endsWith(ext))) {
    throw new DatasetSourceError(source, "unsupported file type (expected .parquet, .jsonl or .json)");
  }
  return { file: absolute, specsFile: specsBeside(path.dirname(absolute)) };
}

function specsBeside(folder: string): string | undefined {
  const file = path.join(folder, "specs.json");
  return existsSync(file) ? file : undefined;
}

async function cachedVerified(cacheDir: string, fetchImpl: typeof globalThis.fetch): Promise<string> {
  const target = path.join(cacheDir, VERIFIED_CACHE_FILE);
  if (existsSync(target)) return target;

  let bytes: Uint8Array;
  try {
    const response = await fetchImpl(VERIFIED_URL);
    if (!response.ok) throw new DatasetDownloadError(VERIFIED_URL, target, `HTTP ${response.status} ${response.statusText}`);
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    if (error instanceof DatasetDownloadError) throw error;
    throw new DatasetDownloadError(VERIFIED_URL, target, describeCause(error));
  }
  if (!looksLikeParquet(bytes)) throw new DatasetDownloadError(VERIFIED_URL, target, "the response is not a parquet file");

  // Write beside the target and rename, so an interrupted download never leaves a bad cache.
  await mkdir(path.dirname(target), { recursive: true });
  const temp = `${target}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(temp, bytes);
    await rename(temp, target);
  } finally {
    await rm(temp, { force: true });
  }
  return target;
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
  return `${error.message}${cause}`;
}

function looksLikeParquet(bytes: Uint8Array): boolean {
  const magic = (offset: number) => new TextDecoder().decode(bytes.subarray(offset, offset + 4)) === "PAR1";
  return bytes.length >= 12 && magic(0) && magic(bytes.length - 4);
}

interface RawRow {
  value: unknown;
  line?: number;
}

async function readRows(file: string): Promise<TaskRow[]> {
  const raw = await readRawRows(file);
  return raw.map(({ value, line }, index) => {
    const parsed = TaskRow.safeParse(value);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0]!;
    throw new DatasetRowError(file, index, instanceIdOf(value), fieldOf(issue), issue.message, line);
  });
}

function instanceIdOf(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const id = (value as Record<string, unknown>).instance_id;
  return typeof id === "string" ? id : undefined;
}

function fieldOf(issue: z.core.$ZodIssue): string {
  return issue.path.map(String).join(".") || "(row)";
}

async function readRawRows(file: string): Promise<RawRow[]> {
  if (file.endsWith(".parquet")) {
    try {
      const rows = await parquetReadObjects({ file: await asyncBufferFromFile(file) });
      return rows.map((value) => ({ value }));
    } catch (error) {
      throw new DatasetParseError(file, `not a readable parquet file: ${describeCause(error)}`);
    }
  }
  const text = await readFile(file, "utf8");
  if (file.endsWith(".jsonl")) {
    const rows: RawRow[] = [];
    text.split("\n").forEach((content, i) => {
      if (content.trim() === "") return;
      rows.push({ value: parseJson(file, content, i + 1), line: i + 1 });
    });
    return rows;
  }
  const value = parseJson(file, text);
  if (!Array.isArray(value)) throw new DatasetParseError(file, "expected a JSON list of rows");
  return value.map((row) => ({ value: row }));
}

function parseJson(file: string, text: string, line?: number): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DatasetParseError(file, `invalid JSON: ${describeCause(error)}`, line);
  }
}

function checkUnique(file: string, rows: TaskRow[]): string[] {
  const seen = new Map<string, number>();
  rows.forEach((row, index) => {
    const first = seen.get(row.instance_id);
    if (first !== undefined) throw new DuplicateInstanceError(file, row.instance_id, [first, index]);
    seen.set(row.instance_id, index);
  });
  return [...seen.keys()];
}

function filterInstances(file: string, rows: TaskRow[], instances: string[] | undefined): TaskRow[] {
  if (instances === undefined || instances.length === 0) return rows;
  const wanted = new Set(instances);
  const known = new Set(rows.map((row) => row.instance_id));
  const unknown = [...wanted].filter((id) => !known.has(id));
  if (unknown.length > 0) throw new UnknownInstancesError(file, unknown);
  return rows.filter((row) => wanted.has(row.instance_id));
}

async function readSpecs(file: string): Promise<RepoSpecMap> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new SpecsFileError(file, "", `invalid JSON: ${describeCause(error)}`);
  }
  const parsed = RepoSpecMap.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new SpecsFileError(file, issue.path.map(String).join("."), issue.message);
}
