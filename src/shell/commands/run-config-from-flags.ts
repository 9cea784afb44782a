import { FIXTURES_DIR } from "../../../harness/images/fixture-repo.ts";
import { RunConfig } from "../../../harness/run/run-config.ts";
import { ConfigFileError, loadConfiguration, type Configuration } from "../../../scaffold/config/swe-agent-config.ts";
import { BundleConfigError } from "../../../scaffold/bundles/bundle-config.ts";
import { BundleSetError } from "../../../scaffold/bundles/bundle-set.ts";
import { bundleObservations, type BundleModeSettings, type BundleObservations } from "../../../scaffold/bundles/observation-mode.ts";
import { CliUsageError } from "./cli-error.ts";
import { fieldsFromFlags, flagForField, type FlagValues } from "./flag-table.ts";
import { EVAL_FLAGS } from "./run-flags.ts";

/**
 * Bundles mode, when there is a SWE-agent checkout (--swe-agent-root, or the one a --config file
 * sits in): the configuration's bundles (or --swe-agent-bundles) read from it now, so a missing
 * or broken one is a usage error before anything runs.
 */
function bundlesMode(configuration: Configuration, v: FlagValues<typeof EVAL_FLAGS>): BundleObservations | undefined {
  const checkout = configuration.agent.bundles.checkout;
  if (checkout === null) {
    if (v["swe-agent-bundles"] !== undefined)
      throw new CliUsageError("--swe-agent-bundles: needs a SWE-agent checkout (--swe-agent-root, or a --config file inside one)");
    return undefined;
  }
  const settings: BundleModeSettings = {
    checkout,
    bundles: (v["swe-agent-bundles"] ?? configuration.agent.bundles.paths).map((path) => ({ path })),
    envVariables: Object.keys(configuration.agent.envVariables).length > 0 ? configuration.agent.envVariables : null,
    registryVariables: (configuration.recordedOnly.registry_variables as Record<string, unknown> | undefined) ?? {},
    installTimeoutSec: (configuration.recordedOnly.install_timeout as number | undefined) ?? 300,
  };
  try {
    return bundleObservations(settings).mode;
  } catch (error) {
    if (error instanceof BundleSetError || error instanceof BundleConfigError)
      throw new CliUsageError(`${v["swe-agent-root"] !== undefined ? "--swe-agent-root" : "--config"}: ${error.message}`);
    throw error;
  }
}

export function timestampRunId(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

/**
 * The run config the flags of `eval` or `run` describe: each flag's value at its field, the
 * schema's defaults for the rest; an invalid value is a usage error naming its flag.
 */
export function runConfigFromFlags(v: FlagValues<typeof EVAL_FLAGS>, overrides: { grade: boolean; modelURL?: string }): RunConfig {
  const input = withConfiguration(fieldsFromFlags(EVAL_FLAGS, v), v);
  const bundled = v.dataset === undefined || v.dataset === "fixtures";
  const modelURLs = input.modelURLs as string[] | undefined;
  const modelURL = modelURLs?.[0] ?? overrides.modelURL ?? (v.predictions === undefined ? process.env.OPENAI_BASE_URL : undefined);
  // Model flags mean nothing when predictions are graded.
  if (modelURL === undefined) {
    delete input.model;
    delete input.modelURLs;
  } else input.model = { ...(input.model as object | undefined), baseURL: modelURL };
  input.runId ??= timestampRunId();
  input.grade = overrides.grade;
  if (bundled) {
    input.dataset = FIXTURES_DIR;
    // The bundled fixtures need no network: keep their containers off it.
    input.network ??= "none";
    input.agentNetwork ??= "none";
  }
  if (modelURL === undefined) input.gradeWorkers ??= v.workers;
  const result = RunConfig.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const flag = issue.path.join(".") === "model.baseURL" ? "--model-url" : flagForField(EVAL_FLAGS, issue.path);
  throw new CliUsageError(`${flag}: ${issue.message}`);
}

/**
 * The configuration a run starts from: --config (a bundled name or a SWE-agent YAML), else
 * davinci-dev, or tools when --action-format asks for native calls or text blocks. Its values
 * lie under the flags' (a flag given wins); its warnings (--config-lenient) go to stderr.
 */
function withConfiguration(input: Record<string, unknown>, v: FlagValues<typeof EVAL_FLAGS>): Record<string, unknown> {
  const format = v["action-format"];
  let configuration: Configuration;
  try {
    configuration = loadConfiguration(v.config ?? (format === "tools" || format === "text" ? "tools" : "davinci-dev"), {
      lenient: v["config-lenient"] === true,
      ...(v["swe-agent-root"] !== undefined ? { sweAgentRoot: v["swe-agent-root"] } : {}),
    });
  } catch (error) {
    if (error instanceof ConfigFileError) throw new CliUsageError(`--config: ${error.message}`);
    throw error;
  }
  for (const warning of configuration.warnings) console.error(`warning: ${warning}`);
  const agent: Record<string, unknown> = { ...configuration.agent };
  // Another action format than the configuration's brings that format's way with format errors.
  if (format !== undefined && format !== configuration.agent.actionFormat) agent.formatErrorTurns = format === "xml" ? "temporary" : "kept";
  if (v["last-n-observations"] !== undefined) {
    agent.historyProcessors = v["last-n-observations"] === 0 ? [] : [{ type: "last_n_observations", n: v["last-n-observations"] }];
  }
  const { temperature, topP, maxTokens, seed } = configuration.sampling;
  const observationMode = bundlesMode(configuration, v);
  // The tools documented in the prompt are the bundles that run.
  if (observationMode) agent.bundles = { checkout: observationMode.checkout, paths: observationMode.bundles.map((b) => b.path) };
  const base = {
    ...(observationMode ? { observationMode } : {}),
    agent,
    reviewOnSubmit: configuration.reviewOnSubmit,
    model: {
      sampling: { temperature, ...(topP === null ? {} : { topP }), maxTokens, seed },
      extraBody: configuration.extraBody,
      ...(configuration.maxAttempts === null ? {} : { retry: { maxAttempts: configuration.maxAttempts } }),
    },
  };
  return deepMerge(base, input);
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const under = out[key];
    const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
    out[key] = isObject(under) && isObject(value) ? deepMerge(under, value) : value;
  }
  return out;
}
