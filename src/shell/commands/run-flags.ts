import { FIXTURES_DIR } from "../../../harness/images/fixture-repo.ts";
import { FIXTURE_IMAGE_TEMPLATE } from "../../../harness/images/image-name.ts";
import { RunConfig } from "../../../harness/run/run-config.ts";
import { parseByteSize } from "../../foundation/sandbox/container-spec.ts";
import { CliUsageError } from "./cli-error.ts";
import { listFlag, numberFlag, validateFlags } from "./flags.ts";

/** Flags shared by `bottega eval` and `bottega run`. */
export const RUN_FLAGS = {
  dataset: { type: "string" },
  split: { type: "string" },
  instances: { type: "string" },
  "run-id": { type: "string" },
  results: { type: "string" },
  "image-template": { type: "string" },
  workers: { type: "string" },
  "pull-workers": { type: "string" },
  "keep-images": { type: "boolean" },
  memory: { type: "string" },
  pids: { type: "string" },
  cpus: { type: "string" },
  "agent-network": { type: "string" },
  "no-tui": { type: "boolean" },
  // the model
  "model-url": { type: "string" },
  model: { type: "string" },
  "model-name": { type: "string" },
  "max-model-len": { type: "string" },
  temperature: { type: "string" },
  "top-p": { type: "string" },
  seed: { type: "string" },
  "max-tokens": { type: "string" },
  "top-k": { type: "string" },
  "repetition-penalty": { type: "string" },
  "chat-template-kwargs": { type: "string" },
  "extra-body": { type: "string" },
  "request-timeout": { type: "string" },
  "max-attempts": { type: "string" },
  stream: { type: "boolean" },
  // the agent
  profile: { type: "string" },
  "action-format": { type: "string" },
  "max-steps": { type: "string" },
  "wall-time": { type: "string" },
  "command-timeout": { type: "string" },
  templates: { type: "string" },
  "no-review": { type: "boolean" },
} as const;

export const RUN_FLAGS_HELP = `dataset and run:
  --dataset D               .parquet/.jsonl/.json file, a folder, or "verified"
                            (default: the bundled fixtures, tasks/fixtures)
  --split S                 split of a folder dataset (default test)
  --instances a,b,c         only these instance ids
  --run-id ID               name of the run; the same id resumes it (default: a timestamp)
  --results DIR             where runs are written (default results)
  --image-template T        image names, e.g. "local/sweb.eval.{instance_id_lower}:latest"
                            ({instance_id}, {instance_id_lower}, {docker_id}, {repo}, {version});
                            default: the dataset's image column, else the official names
  --workers N               parallel agent episodes (default 8)
  --pull-workers N          parallel image pulls (default 2)
  --keep-images             keep instance images this run pulled (default: remove after use)
  --memory SIZE --pids N --cpus N   container limits (default pids 4096)
  --agent-network MODE      network of agent containers (default bridge; none)
  --no-tui                  plain lines even on a terminal

model (OpenAI-compatible server, e.g. vLLM):
  --model-url URL           base URL with /v1 (or env OPENAI_BASE_URL); key from OPENAI_API_KEY
  --model NAME              served model name (default: discovered from /v1/models)
  --model-name NAME         model_name_or_path in predictions (default: the served name)
  --max-model-len N         context size (default: from /v1/models)
  --temperature T --top-p P --seed S --max-tokens N   sampling (default 0, 1, 0, 4096)
  --top-k K --repetition-penalty R                    vLLM extras
  --chat-template-kwargs JSON  --extra-body JSON     more request-body fields
  --request-timeout S       per-request timeout (default 600)
  --max-attempts N          requests per call before giving up on 429/5xx/timeouts (default 8)
  --stream                  stream responses (default off)

agent:
  --profile swe-agent|navigator   tools (default swe-agent: bash, str_replace_editor, submit)
  --action-format tools|text      native tool calls (default) or fenced blocks in text
  --max-steps N             model calls per episode (default 100)
  --wall-time S             seconds per episode (default 3600)
  --command-timeout S       seconds per tool command (default 300)
  --templates FILE          JSON file overriding prompt templates
  --no-review               submit without SWE-agent's review step`;

type Values = Partial<Record<keyof typeof RUN_FLAGS | "predictions" | "timeout" | "grade-workers" | "network" | "eval-script" | "reset-policy" | "grading", string | boolean>>;

const FLAG_OF: Record<string, string> = {
  runId: "--run-id",
  resultsDir: "--results",
  imageTemplate: "--image-template",
  gradeWorkers: "--grade-workers",
  pullWorkers: "--pull-workers",
  timeoutSec: "--timeout",
  evalScript: "--eval-script",
  resetPolicy: "--reset-policy",
  memoryBytes: "--memory",
  pidsLimit: "--pids",
  agentNetwork: "--agent-network",
  templatesPath: "--templates",
  modelName: "--model-name",
  model: "--model-url",
  agent: "--max-steps/--wall-time/--command-timeout/--action-format",
};

function jsonFlag(name: string, value: string | boolean | undefined): Record<string, unknown> | undefined {
  if (typeof value !== "string") return undefined;
  try {
    const parsed = JSON.parse(value) as unknown;
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through to the usage error
  }
  throw new CliUsageError(`--${name}: expected a JSON object, got ${value}`);
}

const str = (v: string | boolean | undefined) => (typeof v === "string" ? v : undefined);
const num = (name: string, v: string | boolean | undefined) => numberFlag(name, str(v));

/** "--memory 8g" as bytes, or a usage error naming the flag. */
function byteFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseByteSize(value);
  } catch (error) {
    throw new CliUsageError(`--${name}: ${(error as Error).message}`);
  }
}

export function timestampRunId(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

/** Builds a run config from flags; every error names the flag. */
export function runConfigFromFlags(v: Values, overrides: { grade: boolean; modelURL?: string }): RunConfig {
  const bundled = v.dataset === undefined || v.dataset === "fixtures";
  const modelURL = overrides.modelURL ?? str(v["model-url"]) ?? (v.predictions === undefined ? process.env.OPENAI_BASE_URL : undefined);
  const extraBody = {
    ...jsonFlag("extra-body", v["extra-body"]),
    ...(v["top-k"] !== undefined ? { top_k: num("top-k", v["top-k"]) } : {}),
    ...(v["repetition-penalty"] !== undefined ? { repetition_penalty: num("repetition-penalty", v["repetition-penalty"]) } : {}),
    ...(v["chat-template-kwargs"] !== undefined ? { chat_template_kwargs: jsonFlag("chat-template-kwargs", v["chat-template-kwargs"]) } : {}),
  };
  const requestTimeout = num("request-timeout", v["request-timeout"]);
  return validateFlags(
    RunConfig,
    {
      runId: str(v["run-id"]) ?? timestampRunId(),
      resultsDir: str(v.results),
      dataset: bundled ? FIXTURES_DIR : str(v.dataset),
      split: str(v.split),
      instances: listFlag(str(v.instances)),
      predictions: str(v.predictions),
      model:
        modelURL === undefined
          ? undefined
          : {
              baseURL: modelURL,
              model: str(v.model),
              maxModelLen: num("max-model-len", v["max-model-len"]),
              sampling: {
                temperature: num("temperature", v.temperature),
                topP: num("top-p", v["top-p"]),
                seed: num("seed", v.seed),
                maxTokens: num("max-tokens", v["max-tokens"]),
              },
              extraBody,
              requestTimeoutMs: requestTimeout === undefined ? undefined : requestTimeout * 1000,
              retry: { maxAttempts: num("max-attempts", v["max-attempts"]) },
              stream: v.stream === true ? true : undefined,
            },
      modelName: str(v["model-name"]),
      profile: str(v.profile),
      agent: {
        actionFormat: str(v["action-format"]),
        stepLimit: num("max-steps", v["max-steps"]),
        wallTimeSec: num("wall-time", v["wall-time"]),
        commandTimeoutSec: num("command-timeout", v["command-timeout"]),
      },
      templatesPath: str(v.templates),
      reviewOnSubmit: v["no-review"] === true ? false : undefined,
      grade: overrides.grade,
      workers: num("workers", v.workers),
      gradeWorkers: num("grade-workers", v["grade-workers"]) ?? (modelURL === undefined ? num("workers", v.workers) : undefined),
      pullWorkers: num("pull-workers", v["pull-workers"]),
      timeoutSec: num("timeout", v.timeout),
      // The bundled fixtures need no network: keep their containers off it.
      network: str(v.network) ?? (bundled ? "none" : undefined),
      agentNetwork: str(v["agent-network"]) ?? (bundled ? "none" : undefined),
      imageTemplate: str(v["image-template"]) ?? (bundled ? FIXTURE_IMAGE_TEMPLATE : undefined),
      evalScript: str(v["eval-script"]),
      resetPolicy: str(v["reset-policy"]),
      grading: str(v.grading),
      memoryBytes: byteFlag("memory", str(v.memory)),
      pidsLimit: num("pids", v.pids),
      cpus: num("cpus", v.cpus),
      keepImages: v["keep-images"] === true ? true : undefined,
    },
    (key) => FLAG_OF[key] ?? `--${key}`,
  );
}
