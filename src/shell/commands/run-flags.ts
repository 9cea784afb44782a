import { flagTable } from "./flag-table.ts";

const RUN = "dataset and run";
const MODEL = "model (OpenAI-compatible server, e.g. vLLM)";
const AGENT = "agent";
const GRADING = "grading";

/** Flags shared by `bottega eval` and `bottega run`; each sets the RunConfig field it names. */
export const RUN_FLAGS = flagTable({
  dataset: {
    kind: "string",
    group: RUN,
    placeholder: "D",
    help: '.parquet/.jsonl/.json file, a folder, or "verified"',
    defaultText: "the bundled fixtures, tasks/fixtures",
    field: "dataset",
  },
  split: { kind: "string", group: RUN, placeholder: "S", help: "split of a folder dataset", default: "test", field: "split" },
  instances: { kind: "list", group: RUN, placeholder: "a,b,c", help: "only these instance ids", field: "instances" },
  "run-id": {
    kind: "string",
    group: RUN,
    placeholder: "ID",
    help: "name of the run; the same id resumes it",
    defaultText: "a timestamp",
    field: "runId",
  },
  results: { kind: "string", group: RUN, placeholder: "DIR", help: "where runs are written", default: "results", field: "resultsDir" },
  "image-template": {
    kind: "string",
    group: RUN,
    placeholder: "T",
    help: 'image names, e.g. "local/sweb.eval.{instance_id_lower}:latest"\n({instance_id}, {instance_id_lower}, {docker_id}, {repo}, {version})',
    defaultText: "the dataset's image column, else the official names",
    field: "imageTemplate",
  },
  workers: { kind: "integer", group: RUN, placeholder: "N", help: "parallel agent episodes", default: 8, field: "workers" },
  "pull-workers": { kind: "integer", group: RUN, placeholder: "N", help: "parallel image pulls", default: 2, field: "pullWorkers" },
  "keep-images": {
    kind: "boolean",
    group: RUN,
    help: "keep instance images this run pulled (off: remove them after use)",
    default: false,
    field: "keepImages",
  },
  memory: { kind: "bytes", group: RUN, placeholder: "SIZE", help: "memory limit of each container, e.g. 8g", defaultText: "none", field: "memoryBytes" },
  pids: { kind: "integer", group: RUN, placeholder: "N", help: "process limit of each container", default: 4096, field: "pidsLimit" },
  cpus: { kind: "number", group: RUN, placeholder: "N", help: "CPU limit of each container", defaultText: "none", field: "cpus" },
  "agent-network": {
    kind: "string",
    group: RUN,
    placeholder: "MODE",
    help: "network of agent containers (none for the bundled fixtures)",
    default: "bridge",
    field: "agentNetwork",
  },
  "no-tui": { kind: "boolean", group: RUN, help: "plain lines even on a terminal" },

  "model-url": { kind: "string", group: MODEL, placeholder: "URL", help: "base URL with /v1 (or env OPENAI_BASE_URL); key from OPENAI_API_KEY", field: "model.baseURL" },
  model: { kind: "string", group: MODEL, placeholder: "NAME", help: "served model name", defaultText: "discovered from /v1/models", field: "model.model" },
  "model-name": {
    kind: "string",
    group: MODEL,
    placeholder: "NAME",
    help: "model_name_or_path in predictions",
    defaultText: "the served name",
    field: "modelName",
  },
  "max-model-len": { kind: "integer", group: MODEL, placeholder: "N", help: "context size", defaultText: "from /v1/models", field: "model.maxModelLen" },
  temperature: { kind: "number", group: MODEL, placeholder: "T", help: "sampling temperature", default: 0, field: "model.sampling.temperature" },
  "top-p": { kind: "number", group: MODEL, placeholder: "P", help: "nucleus sampling", default: 1, field: "model.sampling.topP" },
  seed: { kind: "integer", group: MODEL, placeholder: "S", help: "sampling seed", default: 0, field: "model.sampling.seed" },
  "max-tokens": { kind: "integer", group: MODEL, placeholder: "N", help: "completion tokens per call", default: 4096, field: "model.sampling.maxTokens" },
  "top-k": { kind: "integer", group: MODEL, placeholder: "K", help: "top-k sampling (vLLM)", field: "model.extraBody.top_k" },
  "repetition-penalty": { kind: "number", group: MODEL, placeholder: "R", help: "repetition penalty (vLLM)", field: "model.extraBody.repetition_penalty" },
  "chat-template-kwargs": {
    kind: "json",
    group: MODEL,
    placeholder: "JSON",
    help: "chat_template_kwargs of each request (vLLM)",
    field: "model.extraBody.chat_template_kwargs",
  },
  "extra-body": { kind: "json", group: MODEL, placeholder: "JSON", help: "more request-body fields", defaultText: "none", field: "model.extraBody" },
  "request-timeout": {
    kind: "number",
    group: MODEL,
    placeholder: "S",
    help: "seconds per request",
    default: 600,
    field: "model.requestTimeoutMs",
    toField: (seconds: number) => seconds * 1000,
  },
  "max-attempts": {
    kind: "integer",
    group: MODEL,
    placeholder: "N",
    help: "requests per call before giving up on 429/5xx/timeouts",
    default: 8,
    field: "model.retry.maxAttempts",
  },
  stream: { kind: "boolean", group: MODEL, help: "stream responses", default: false, field: "model.stream" },

  profile: {
    kind: "string",
    group: AGENT,
    placeholder: "swe-agent|navigator",
    help: "tools (swe-agent: bash, str_replace_editor, submit)",
    default: "swe-agent",
    field: "profile",
  },
  "action-format": {
    kind: "string",
    group: AGENT,
    placeholder: "tools|text",
    help: "native tool calls or fenced blocks in text",
    default: "tools",
    field: "agent.actionFormat",
  },
  "max-steps": { kind: "integer", group: AGENT, placeholder: "N", help: "model calls per episode", default: 100, field: "agent.stepLimit" },
  "wall-time": { kind: "number", group: AGENT, placeholder: "S", help: "seconds per episode", default: 3600, field: "agent.wallTimeSec" },
  "command-timeout": { kind: "number", group: AGENT, placeholder: "S", help: "seconds per tool command", default: 300, field: "agent.commandTimeoutSec" },
  templates: { kind: "string", group: AGENT, placeholder: "FILE", help: "JSON file overriding prompt templates", field: "templatesPath" },
  "no-review": {
    kind: "boolean",
    group: AGENT,
    help: "submit without SWE-agent's review step",
    default: false,
    field: "reviewOnSubmit",
    toField: (noReview: boolean) => !noReview,
  },
});

/** Flags of `bottega eval` beyond the run's: how patches are graded. */
export const GRADING_FLAGS = flagTable({
  predictions: {
    kind: "string",
    group: GRADING,
    placeholder: "FILE|gold",
    help: "grade these (.json list or id→prediction map, .jsonl), or gold",
    field: "predictions",
  },
  "grade-workers": {
    kind: "integer",
    group: GRADING,
    placeholder: "N",
    help: "parallel gradings",
    defaultText: "3/4 of the cores; --workers when grading predictions",
    field: "gradeWorkers",
  },
  timeout: { kind: "number", group: GRADING, placeholder: "S", help: "seconds eval.sh may run, as upstream", default: 1800, field: "timeoutSec" },
  "eval-script": {
    kind: "string",
    group: GRADING,
    placeholder: "generated|dataset",
    help: "generate eval.sh with the v4.1.0 rules or use the\ndataset's eval_script column (SWE-bench v5 datasets)",
    default: "generated",
    field: "evalScript",
  },
  "reset-policy": {
    kind: "string",
    group: GRADING,
    placeholder: "539|v4.1.0|v5-dataset",
    help: "how eval.sh resets files the test patch creates",
    default: "539",
    field: "resetPolicy",
  },
  grading: { kind: "string", group: GRADING, placeholder: "v4|v5", help: "grading semantics (v4: what published results used)", default: "v4", field: "grading" },
  network: {
    kind: "string",
    group: GRADING,
    placeholder: "MODE",
    help: "network of grading containers, as upstream (none for the bundled fixtures)",
    default: "bridge",
    field: "network",
  },
});

export const EVAL_FLAGS = flagTable({ ...GRADING_FLAGS, ...RUN_FLAGS });
