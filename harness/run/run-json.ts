import { z } from "zod";
import { EndpointFigures } from "../../src/foundation/model/endpoint-figures.ts";
import { ModelConfig, RetryPolicy, SamplingConfig } from "../../src/foundation/model/model-config.ts";
import { AgentContainment } from "../../src/foundation/sandbox/sandbox-backend.ts";
import { writeFileAtomic } from "../../src/foundation/store/atomic-file.ts";
import { AgentConfig } from "../../scaffold/agent.ts";
import { RunConfig } from "./run-config.ts";
import { firstIssue, readRunJsonText, RunJsonError } from "./run-json-head.ts";

/**
 * results/<run_id>/run.json: what a run was asked to do (its RunConfig, the API key left out) and
 * who ran it, written whole when an invocation starts and amended with its closing figures.
 * Keys are snake_case, as in every file a run writes; in memory the config keeps RunConfig's
 * camelCase. The renaming is by explicit tables, one per object of ours, so that values that are
 * user data (env maps, extra request body fields, templates, SWE-agent settings) keep their keys.
 */

/** Every key of T and its name in run.json. */
type KeyNames<T> = { readonly [K in keyof T]-?: string };
/** T with its keys renamed by N (optional stays optional). */
type Renamed<T, N extends KeyNames<T>> = { [K in keyof T as N[K]]: T[K] };

// `satisfies KeyNames<…>` makes a new field of these objects a compile error until it is named here.
export const RUN_CONFIG_KEYS = {
  runId: "run_id",
  resultsDir: "results_dir",
  dataset: "dataset",
  split: "split",
  instances: "instances",
  predictions: "predictions",
  model: "model",
  modelURLs: "model_urls",
  modelName: "model_name",
  profile: "profile",
  observationMode: "observation_mode",
  agent: "agent",
  templatesPath: "templates_path",
  reviewOnSubmit: "review_on_submit",
  grade: "grade",
  workers: "workers",
  gradeWorkers: "grade_workers",
  pullWorkers: "pull_workers",
  timeoutSec: "timeout_sec",
  network: "network",
  agentNetwork: "agent_network",
  imageTemplate: "image_template",
  evalScript: "eval_script",
  resetPolicy: "reset_policy",
  grading: "grading",
  memoryBytes: "memory_bytes",
  containment: "containment",
  pidsLimit: "pids_limit",
  cpus: "cpus",
  keepImages: "keep_images",
  overlapContainer: "overlap_container",
  maxImageDiskBytes: "max_image_disk_bytes",
  sandbox: "sandbox",
  namespace: "namespace",
  podTemplate: "pod_template",
  infraRetries: "infra_retries",
} as const satisfies KeyNames<RunConfig>;

export const MODEL_KEYS = {
  baseURL: "base_url",
  apiKey: "api_key",
  model: "model",
  maxModelLen: "max_model_len",
  sampling: "sampling",
  // Its value is user data (vLLM request fields, sent as they are): its keys are not renamed.
  extraBody: "extra_body",
  contextMarginTokens: "context_margin_tokens",
  useTokenize: "use_tokenize",
  requestTimeoutMs: "request_timeout_ms",
  tokenizeTimeoutMs: "tokenize_timeout_ms",
  retry: "retry",
  stream: "stream",
} as const satisfies KeyNames<ModelConfig>;

export const SAMPLING_KEYS = {
  temperature: "temperature",
  topP: "top_p",
  seed: "seed",
  maxTokens: "max_tokens",
} as const satisfies KeyNames<SamplingConfig>;

export const RETRY_KEYS = {
  maxAttempts: "max_attempts",
  baseDelayMs: "base_delay_ms",
  maxDelayMs: "max_delay_ms",
  maxRetryAfterMs: "max_retry_after_ms",
} as const satisfies KeyNames<RetryPolicy>;

/**
 * templates, history_processors and bundles already carry SWE-agent's names, and env_variables is
 * the user's map of environment variables: their values are kept as they are.
 */
export const AGENT_KEYS = {
  configuration: "configuration",
  actionFormat: "action_format",
  formatErrorTurns: "format_error_turns",
  stepLimit: "step_limit",
  wallTimeSec: "wall_time_sec",
  commandTimeoutSec: "command_timeout_sec",
  maxConsecutiveTimeouts: "max_consecutive_timeouts",
  maxFormatErrors: "max_format_errors",
  templates: "templates",
  historyProcessors: "history_processors",
  envVariables: "env_variables",
  convertSystemToUser: "convert_system_to_user",
  xml: "xml",
  reviewMessage: "review_message",
  bundles: "bundles",
} as const satisfies KeyNames<AgentConfig>;

export const XML_KEYS = {
  skipThink: "skip_think",
  viewRangeToEnd: "view_range_to_end",
} as const satisfies KeyNames<AgentConfig["xml"]>;

export const CONTAINMENT_KEYS = {
  diskBytes: "disk_bytes",
  noNewPrivileges: "no_new_privileges",
  capDrop: "cap_drop",
  capAdd: "cap_add",
  allowHosts: "allow_hosts",
} as const satisfies KeyNames<RunConfig["containment"]>;

/** The object (a value or a zod shape) with its keys renamed for run.json. */
function renamed<T extends object, const N extends KeyNames<T>>(value: T, names: N): Renamed<T, N> {
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [names[key as keyof T], inner])) as Renamed<T, N>;
}

/** The object read from run.json with its keys named as in memory again; keys no table names are dropped. */
function restored(value: object, names: Readonly<Record<string, string>>): Record<string, unknown> {
  const memoryName = new Map(Object.entries(names).map(([inMemory, onDisk]) => [onDisk, inMemory]));
  const entries = Object.entries(value).flatMap(([key, inner]) => {
    const name = memoryName.get(key);
    return name === undefined ? [] : [[name, inner] as const];
  });
  return Object.fromEntries(entries);
}

// The on-disk schemas reuse RunConfig's own field schemas under the snake_case names, so a value
// is checked the same way in both places.
const StoredModel = z
  .object(renamed(ModelConfig.shape, MODEL_KEYS))
  .omit({ api_key: true })
  .extend({
    sampling: z.object(renamed(SamplingConfig.shape, SAMPLING_KEYS)),
    retry: z.object(renamed(RetryPolicy.shape, RETRY_KEYS)),
  });

const StoredAgent = z.object(renamed(AgentConfig.shape, AGENT_KEYS)).extend({
  xml: z.object(renamed(AgentConfig.shape.xml.shape, XML_KEYS)),
});

/** The RunConfig in run.json. */
export const StoredRunConfig = z.object(renamed(RunConfig.shape, RUN_CONFIG_KEYS)).extend({
  model: StoredModel.optional(),
  agent: StoredAgent,
  containment: z.object(renamed(AgentContainment.omit({ memoryBytes: true }).shape, CONTAINMENT_KEYS)),
});
export type StoredRunConfig = z.infer<typeof StoredRunConfig>;

export const RunJson = z.object({
  config: StoredRunConfig,
  /** The dataset as loaded (a file, folder or Hugging Face name). */
  dataset: z.string(),
  /** model_name_or_path written into predictions; absent when grading given predictions. */
  model_name: z.string().optional(),
  /** host:pid:starttime of the latest invocation's process (`bottega status` asks whether it lives). */
  owner: z.string().optional(),
  /** When the run's first invocation started. */
  started_at: z.string(),
  /** Each later invocation: when it started, and the decisive settings it changed (allowed by the user). */
  resumed: z.array(z.object({ at: z.string(), changes: z.array(z.string()) })).optional(),
  /** The Node.js version that ran it. */
  node: z.string(),
  /** Added when the run finishes: each model endpoint's share. */
  endpoints: z.array(EndpointFigures).optional(),
  /** Added when the run finishes: image layers held at once (max_bytes null: unbounded). */
  image_disk: z.object({ max_bytes: z.number().nullable(), peak_bytes: z.number() }).optional(),
});
export type RunJson = z.infer<typeof RunJson>;

/** run.json as the program sees it: the file's fields, the config as a RunConfig. */
export type RunRecord = Omit<RunJson, "config"> & { config: RunConfig };

/** The config as run.json stores it: snake_case, without the API key (run folders are shared). */
export function storedRunConfig(config: RunConfig): StoredRunConfig {
  const { model, agent, containment, ...rest } = config;
  let storedModel: StoredRunConfig["model"];
  if (model) {
    const { apiKey: _secret, sampling, retry, ...modelRest } = model;
    storedModel = { ...renamed(modelRest, MODEL_KEYS), sampling: renamed(sampling, SAMPLING_KEYS), retry: renamed(retry, RETRY_KEYS) };
  }
  return {
    ...renamed(rest, RUN_CONFIG_KEYS),
    model: storedModel,
    agent: { ...renamed(agent, AGENT_KEYS), xml: renamed(agent.xml, XML_KEYS) },
    containment: renamed(containment, CONTAINMENT_KEYS),
  };
}

/** What RunConfig parses back from run.json's config (the API key, never stored, absent). */
function restoredRunConfig(stored: StoredRunConfig): unknown {
  const { model, agent, containment, ...rest } = stored;
  return {
    ...restored(rest, RUN_CONFIG_KEYS),
    model: model && {
      ...restored(model, MODEL_KEYS),
      sampling: restored(model.sampling, SAMPLING_KEYS),
      retry: restored(model.retry, RETRY_KEYS),
    },
    agent: { ...restored(agent, AGENT_KEYS), xml: restored(agent.xml, XML_KEYS) },
    containment: restored(containment, CONTAINMENT_KEYS),
  };
}

/** The text of run.json for a record. */
export function runJsonText(record: RunRecord): string {
  const file: RunJson = { ...record, config: storedRunConfig(record.config) };
  return JSON.stringify(file, null, 2);
}

export async function writeRunJson(path: string, record: RunRecord): Promise<void> {
  await writeFileAtomic(path, runJsonText(record));
}

/** Adds the run's closing figures to run.json (written whole when the invocation started). */
export async function amendRunJson(path: string, figures: Pick<RunJson, "endpoints" | "image_disk">): Promise<void> {
  await writeRunJson(path, { ...readRunJson(path), ...figures });
}

/**
 * run.json as bottega wrote it before the file was snake_case: the RunConfig's camelCase keys
 * under config, modelName and startedAt at the top. Read so that such a run can still be
 * re-graded, compared and asked for its status (resuming it writes the file anew, snake_case).
 */
const CamelCaseRunJson = RunJson.omit({ config: true, model_name: true, started_at: true }).extend({
  config: z.unknown(),
  modelName: z.string().optional(),
  startedAt: z.string(),
});

function isCamelCase(raw: unknown): boolean {
  if (typeof raw !== "object" || raw === null) return false;
  const config = (raw as { config?: unknown }).config;
  return Object.hasOwn(raw, "startedAt") || (typeof config === "object" && config !== null && Object.hasOwn(config, "runId"));
}

/** Reads run.json, of this version or of one before the file was snake_case; a bad file names the field. */
export function readRunJson(path: string): RunRecord {
  const raw = readRunJsonText(path);
  if (isCamelCase(raw)) return fromCamelCase(path, raw);
  const parsed = RunJson.safeParse(raw);
  if (!parsed.success) throw new RunJsonError(path, firstIssue(parsed.error));
  const config = RunConfig.safeParse(restoredRunConfig(parsed.data.config));
  if (!config.success) throw new RunJsonError(path, `config: ${firstIssue(config.error)}`);
  return { ...parsed.data, config: config.data };
}

function fromCamelCase(path: string, raw: unknown): RunRecord {
  const older = "run.json was written by an older bottega (camelCase keys)";
  const parsed = CamelCaseRunJson.safeParse(raw);
  if (!parsed.success) throw new RunJsonError(path, `${older} and does not read as one: ${firstIssue(parsed.error)}`);
  const config = RunConfig.safeParse(parsed.data.config);
  if (!config.success)
    throw new RunJsonError(path, `${older} whose config this version cannot read (config ${firstIssue(config.error)}); start a new run id`);
  const { modelName, startedAt, ...rest } = parsed.data;
  return { ...rest, config: config.data, model_name: modelName, started_at: startedAt };
}
