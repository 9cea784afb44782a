import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { PACKAGE_ROOT } from "../../src/foundation/store/package-root.ts";
import type { ActionFormat } from "../actions/action.ts";
import { AgentConfig } from "../agent-config.ts";
import { HistoryProcessor } from "../history-processors.ts";
import { checkJinja } from "../jinja.ts";
import type { Templates } from "../templates.ts";

/**
 * Reads a SWE-agent config file (YAML, SWE-agent's keys, reference §8) into Bottega's settings.
 * Every key that changes what the model sees or what the agent may do is honoured; keys that
 * only matter to SWE-agent's own runner (output folders, cost limits a local model cannot have,
 * instance selection) are read and recorded. A key SWE-agent acts on but Bottega cannot is an
 * error naming it, or with `lenient` a warning. Keys SWE-agent itself ignores (its tool and
 * template settings allow unknown keys, e.g. SWE-smith's stray `tools.str_replace_editor`) are
 * ignored with a warning, as SWE-agent ignores them.
 */

export class ConfigFileError extends Error {
  constructor(
    readonly file: string,
    readonly key: string,
    detail: string,
  ) {
    super(`${file}: ${key ? `${key}: ` : ""}${detail}`);
    this.name = "ConfigFileError";
  }
}

/** What the agent, the tools and the model get from a configuration. */
export interface Configuration {
  agent: AgentConfig;
  /** submit shows a review of the diff first (tools/review_on_submit_m) or submits at once (tools/submit). */
  reviewOnSubmit: boolean;
  /** The review text (registry_variables.SUBMIT_REVIEW_MESSAGES[0]); null: Bottega's own. */
  reviewMessage: string | null;
  /** Sent on every request; null: not sent (the server's default applies). */
  sampling: { temperature: number; topP: number | null; maxTokens: number | null; seed: number | null };
  /** Other request-body fields (completion_kwargs). */
  extraBody: Record<string, unknown>;
  /** Requests per call before giving up (retry.retries + 1), when the file sets it. */
  maxAttempts: number | null;
  /** The file's values Bottega reads but does not act on, for the record. */
  recordedOnly: Record<string, unknown>;
  warnings: string[];
}

export const BUNDLED_CONFIGURATIONS = ["davinci-dev", "tools"] as const;

export function bundledConfigPath(name: string): string {
  return join(PACKAGE_ROOT, "configs", `${name}.yaml`);
}

// SWE-agent's defaults where a file leaves a key out (sweagent/agent/agents.py, tools/tools.py, models.py).
const TRUNCATED_DEFAULT =
  "Observation: {{observation[:max_observation_length]}}<response clipped><NOTE>Observations must stay within {{max_observation_length}} characters, so {{elided_chars}} characters were left out. Run a command that prints less, filter its output with head, tail or grep, or write it to a file and read that in parts. Do not use interactive pagers.</NOTE>";

const Bundle = z.looseObject({ path: z.string(), hidden_tools: z.array(z.string()).default([]) });

/** The keys read; `looseObject` where SWE-agent allows unknown keys, `strictObject` where it forbids them. */
const TemplatesKeys = z.looseObject({
  system_template: z.string().default(""),
  instance_template: z.string().default(""),
  next_step_template: z.string().default("Observation: {{observation}}"),
  next_step_truncated_observation_template: z.string().default(TRUNCATED_DEFAULT),
  max_observation_length: z.number().int().positive().default(100_000),
  next_step_no_output_template: z.string().nullish(),
  strategy_template: z.null().nullish(),
  demonstration_template: z.string().nullish(),
  demonstrations: z.array(z.string()).max(0, "demonstrations are not supported").default([]),
  put_demos_in_history: z.boolean().default(false),
  disable_image_processing: z.boolean().default(false),
  shell_check_error_template: z.string().nullish(),
  command_cancelled_timeout_template: z.string().nullish(),
});

const ToolsKeys = z.looseObject({
  bundles: z.array(Bundle).default([]),
  enable_bash_tool: z.boolean().default(true),
  parse_function: z
    .looseObject({ type: z.enum(["xml_function_calling", "function_calling", "thought_action"]) })
    .default({ type: "function_calling" }),
  format_error_template: z.string().nullish(),
  env_variables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).nullish(),
  registry_variables: z.record(z.string(), z.unknown()).default({}),
  propagate_env_variables: z.array(z.string()).default([]),
  submit_command: z.literal("submit").default("submit"),
  execution_timeout: z.number().positive().default(30),
  max_consecutive_execution_timeouts: z.number().int().positive().default(3),
  total_execution_timeout: z.number().positive().default(1800),
  install_timeout: z.number().positive().default(300),
});

const ModelKeys = z.strictObject({
  name: z.string(),
  api_base: z.string().nullish(),
  api_key: z.string().nullish(),
  api_version: z.string().nullish(),
  temperature: z.number().min(0).default(0),
  top_p: z.number().gt(0).max(1).nullable().default(1),
  per_instance_call_limit: z.number().int().min(0).default(0),
  per_instance_cost_limit: z.number().min(0).default(3),
  total_cost_limit: z.number().min(0).default(0),
  max_input_tokens: z.number().int().nullish(),
  max_output_tokens: z.number().int().nullish(),
  completion_kwargs: z.record(z.string(), z.unknown()).default({}),
  stop: z.array(z.string()).default([]),
  convert_system_to_user: z.boolean().default(false),
  retry: z
    .strictObject({ retries: z.number().int().min(0).default(20), min_wait: z.number().default(10), max_wait: z.number().default(120) })
    .optional(),
  delay: z.number().min(0).default(0),
  fallbacks: z.array(z.unknown()).max(0, "fallback models are not supported").default([]),
  choose_api_key_by_thread: z.boolean().default(true),
  litellm_model_registry: z.string().nullish(),
  custom_tokenizer: z.unknown().optional(),
});

const AgentKeys = z.strictObject({
  type: z.literal("default").default("default"),
  name: z.string().default("main"),
  templates: TemplatesKeys.prefault({}),
  tools: ToolsKeys.prefault({}),
  history_processors: z.array(HistoryProcessor).default([{ type: "default" }]),
  model: ModelKeys,
  max_requeries: z.number().int().positive().default(3),
  action_sampler: z.null().nullish(),
});

const FileKeys = z.strictObject({
  agent: AgentKeys,
  // SWE-agent's runner: which instances, where to write, how many at once. Bottega's flags decide these.
  instances: z.unknown().optional(),
  env: z.unknown().optional(),
  problem_statement: z.unknown().optional(),
  num_workers: z.number().int().positive().optional(),
  output_dir: z.string().optional(),
  suffix: z.string().optional(),
  random_delay_multiplier: z.number().optional(),
  progress_bar: z.boolean().optional(),
  redo_existing: z.boolean().optional(),
  raise_exceptions: z.boolean().optional(),
  env_var_path: z.string().nullish(),
  actions: z.unknown().optional(),
});

const PARSE_TYPES: Record<string, ActionFormat> = { xml_function_calling: "xml", function_calling: "tools", thought_action: "text" };

/** Bundles Bottega's own tools stand in for (by folder name). */
const KNOWN_BUNDLES = new Set(["registry", "edit_anthropic", "submit", "review_on_submit_m", "diff_state"]);

export interface LoadOptions {
  lenient?: boolean;
  /** The SWE-agent checkout the bundles come from (--swe-agent-root); default: the one the file sits in, if any. */
  sweAgentRoot?: string;
}

/** A bundled configuration by name, or a SWE-agent config file by path. */
export function loadConfiguration(nameOrPath: string, options: LoadOptions = {}): Configuration {
  const bundled = (BUNDLED_CONFIGURATIONS as readonly string[]).includes(nameOrPath);
  const file = bundled ? bundledConfigPath(nameOrPath) : resolve(nameOrPath);
  if (!existsSync(file)) {
    throw new ConfigFileError(
      nameOrPath,
      "",
      `no such file; a configuration is a YAML file or one of ${BUNDLED_CONFIGURATIONS.join(", ")}`,
    );
  }
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ConfigFileError(file, "", `not valid YAML (${(error as Error).message})`);
  }
  return configurationFrom(raw, file, bundled ? nameOrPath : file, options);
}

export function configurationFrom(raw: unknown, file: string, name: string, options: LoadOptions = {}): Configuration {
  const warnings: string[] = [];
  const data = parseKeys(raw, file, options.lenient ?? false, warnings);
  const { agent } = data;
  const t = agent.tools;
  const tp = agent.templates;

  const format = PARSE_TYPES[t.parse_function.type]!;
  const bundlePaths = t.bundles.map((b) => b.path);
  const names = bundlePaths.map((path) => basename(path.replace(/\/+$/, "")));
  const unknown = bundlePaths.filter((_, i) => !KNOWN_BUNDLES.has(names[i]!));
  // With a checkout the bundles run themselves in the container (scaffold/bundles/): any bundle will do.
  const checkout = options.sweAgentRoot !== undefined ? resolve(options.sweAgentRoot) : findCheckout(file, bundlePaths);
  if (unknown.length > 0 && checkout === null) {
    complain(
      file,
      "agent.tools.bundles",
      `${unknown.join(", ")}: no Bottega tool stands in for ${unknown.length > 1 ? "these bundles" : "this bundle"} (known: ${[...KNOWN_BUNDLES].map((n) => `tools/${n}`).join(", ")})`,
      options.lenient ?? false,
      warnings,
    );
  }
  if (
    !t.enable_bash_tool ||
    (checkout === null && (!names.includes("edit_anthropic") || !(names.includes("submit") || names.includes("review_on_submit_m"))))
  ) {
    complain(
      file,
      "agent.tools",
      "Bottega's agent needs bash (enable_bash_tool), tools/edit_anthropic and tools/submit or tools/review_on_submit_m",
      options.lenient ?? false,
      warnings,
    );
  }
  const review = names.includes("review_on_submit_m");
  const reviewMessages = t.registry_variables.SUBMIT_REVIEW_MESSAGES;
  const reviewMessage = review && Array.isArray(reviewMessages) && typeof reviewMessages[0] === "string" ? reviewMessages[0] : null;

  const templates: Templates = {
    system_template: tp.system_template,
    instance_template: tp.instance_template,
    next_step_template: tp.next_step_template,
    next_step_no_output_template: tp.next_step_no_output_template ?? tp.next_step_template,
    next_step_truncated_observation_template: tp.next_step_truncated_observation_template,
    max_observation_length: tp.max_observation_length,
    format_error_template: t.format_error_template ?? null,
  };
  for (const [key, source] of Object.entries(templates)) {
    if (typeof source !== "string") continue;
    try {
      checkJinja(source, key);
    } catch (error) {
      throw new ConfigFileError(
        file,
        key === "format_error_template" ? "agent.tools.format_error_template" : `agent.templates.${key}`,
        (error as Error).message,
      );
    }
  }

  const { completion_kwargs: kwargs, ...model } = agent.model;
  const { max_tokens: maxTokens, seed, ...extraBody } = kwargs;
  const agentConfig = AgentConfig.parse({
    configuration: name,
    actionFormat: format,
    // SWE-agent requeries in every mode; Bottega's native-call setup keeps the history append-only.
    formatErrorTurns: format === "xml" ? "temporary" : "kept",
    stepLimit: model.per_instance_call_limit > 0 ? model.per_instance_call_limit : 100,
    wallTimeSec: 3600,
    commandTimeoutSec: t.execution_timeout,
    maxConsecutiveTimeouts: t.max_consecutive_execution_timeouts,
    maxFormatErrors: agent.max_requeries,
    templates,
    historyProcessors: agent.history_processors,
    envVariables: t.env_variables ?? {},
    convertSystemToUser: model.convert_system_to_user,
    xml: { skipThink: false, viewRangeToEnd: false },
    reviewMessage,
    bundles: { checkout, paths: bundlePaths },
  });
  return {
    agent: agentConfig,
    reviewOnSubmit: review,
    reviewMessage,
    sampling: {
      temperature: model.temperature,
      topP: model.top_p,
      maxTokens: typeof maxTokens === "number" ? maxTokens : null,
      seed: typeof seed === "number" ? seed : null,
    },
    extraBody,
    maxAttempts: model.retry ? model.retry.retries + 1 : null,
    recordedOnly: {
      agent_name: agent.name,
      model_name: model.name,
      per_instance_cost_limit: model.per_instance_cost_limit,
      total_cost_limit: model.total_cost_limit,
      max_input_tokens: model.max_input_tokens ?? null,
      max_output_tokens: model.max_output_tokens ?? null,
      stop: model.stop,
      delay: model.delay,
      total_execution_timeout: t.total_execution_timeout,
      install_timeout: t.install_timeout,
      registry_variables: t.registry_variables,
      propagate_env_variables: t.propagate_env_variables,
      num_workers: data.num_workers ?? null,
      instances: data.instances ?? null,
    },
    warnings,
  };
}

function complain(file: string, key: string, detail: string, lenient: boolean, warnings: string[]): void {
  if (!lenient) throw new ConfigFileError(file, key, `${detail} (--config-lenient turns this into a warning)`);
  warnings.push(`${file}: ${key}: ${detail}; left out`);
}

/**
 * Checks the keys: unknown keys where SWE-agent ignores them are dropped with a warning; where
 * SWE-agent forbids them, or a value Bottega cannot honour, an error (a warning and the key
 * dropped when lenient).
 */
function parseKeys(raw: unknown, file: string, lenient: boolean, warnings: string[]): z.infer<typeof FileKeys> {
  const data = structuredClone(raw) as Record<string, unknown>;
  if (typeof data !== "object" || data === null || Array.isArray(data))
    throw new ConfigFileError(file, "", "expected a mapping of SWE-agent config keys");
  const looseParents = new Set(["agent.templates", "agent.tools", "agent.tools.parse_function"]);
  for (const [parent, schema] of [
    ["agent.templates", TemplatesKeys],
    ["agent.tools", ToolsKeys],
    ["agent.tools.parse_function", null],
  ] as const) {
    const node = at(data, parent);
    if (node === undefined) continue;
    const known = schema ? Object.keys(schema.shape) : ["type"];
    for (const key of Object.keys(node)) {
      if (known.includes(key)) continue;
      warnings.push(`${file}: ${parent}.${key}: not a SWE-agent key (SWE-agent ignores it too); ignored`);
      delete node[key];
    }
  }
  for (let round = 0; round < 50; round++) {
    const parsed = FileKeys.safeParse(data);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map(String);
    const key = issue.code === "unrecognized_keys" ? [...path, issue.keys[0]!].join(".") : path.join(".");
    const detail = issue.code === "unrecognized_keys" ? "not supported by Bottega" : issue.message;
    if (!lenient || path.length === 0 || key === "agent.model" || key === "agent" || looseParents.has(key)) {
      throw new ConfigFileError(file, key, lenient ? detail : `${detail} (--config-lenient turns unsupported keys into warnings)`);
    }
    warnings.push(`${file}: ${key}: ${detail}; left out`);
    const parentPath = issue.code === "unrecognized_keys" ? path : path.slice(0, -1);
    const last = issue.code === "unrecognized_keys" ? issue.keys[0]! : path.at(-1)!;
    const parent = at(data, parentPath.join("."));
    if (parent === undefined || !(last in parent)) throw new ConfigFileError(file, key, detail);
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  }
  throw new ConfigFileError(file, "", "too many unsupported keys");
}

function at(data: Record<string, unknown>, path: string): Record<string, unknown> | undefined {
  let node: unknown = data;
  for (const part of path === "" ? [] : path.split(".")) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return typeof node === "object" && node !== null ? (node as Record<string, unknown>) : undefined;
}

/**
 * The SWE-agent checkout a config file belongs to: the nearest folder above it that holds every
 * bundle the file names (SWE-agent's own configs sit in <checkout>/config/).
 */
function findCheckout(file: string, bundlePaths: string[]): string | null {
  if (bundlePaths.length === 0) return null;
  let dir = dirname(file);
  for (let up = 0; up < 4; up++) {
    // Any named bundle marks the checkout; one it lacks is then an error naming it (scaffold/bundles/bundle-set.ts).
    if (bundlePaths.some((path) => existsSync(join(dir, path, "config.yaml")))) return dir;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return null;
}
