import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RunConfig } from "../harness/run/run-config.ts";
import { configChanges, describeChange } from "../harness/run/resume-check.ts";
import {
  AGENT_KEYS,
  CONTAINMENT_KEYS,
  MODEL_KEYS,
  RETRY_KEYS,
  RUN_CONFIG_KEYS,
  readRunJson,
  runJsonText,
  SAMPLING_KEYS,
  XML_KEYS,
  type RunRecord,
} from "../harness/run/run-json.ts";

const dir = mkdtempSync(join(tmpdir(), "bottega-run-json-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A config with every optional field set, and user data whose keys must survive as they are. */
const config = RunConfig.parse({
  runId: "every-field",
  dataset: "tasks/fixtures",
  instances: ["a__b-1"],
  model: {
    baseURL: "http://127.0.0.1:8000/v1",
    apiKey: "sk-secret",
    model: "served",
    maxModelLen: 32768,
    sampling: { topP: 0.9, maxTokens: null },
    extraBody: { top_k: 20, chat_template_kwargs: { enableThinking: false }, repetitionPenalty: 1.05 },
  },
  modelURLs: ["http://127.0.0.1:8000/v1", "http://127.0.0.1:8001/v1"],
  modelName: "my-model",
  observationMode: {
    kind: "bundles",
    checkout: "/opt/SWE-agent",
    commit: null,
    dirty: null,
    bundles: [{ path: "tools/registry", hidden_tools: [] }],
    env_variables: { PAGER: "cat", myVar: "x" },
    registry_variables: { USE_FILEMAP: "true", submitReviewMessages: ["look again"] },
  },
  agent: {
    configuration: "custom",
    actionFormat: "tools",
    formatErrorTurns: "kept",
    stepLimit: 50,
    wallTimeSec: 600,
    commandTimeoutSec: 30,
    maxConsecutiveTimeouts: 3,
    maxFormatErrors: 3,
    templates: {
      system_template: "You are {{agentName}}.",
      instance_template: "{{problem_statement}}",
      next_step_template: "{{observation}}",
      next_step_no_output_template: "(no output)",
      next_step_truncated_observation_template: "{{observation}}…",
      max_observation_length: 100000,
    },
    historyProcessors: [{ type: "last_n_observations", n: 5 }],
    envVariables: { PIP_PROGRESS_BAR: "off", gitPager: "cat" },
    convertSystemToUser: true,
    xml: { skipThink: true, viewRangeToEnd: false },
    reviewMessage: "Review {{diff}}",
    bundles: { checkout: "/opt/SWE-agent", paths: ["tools/registry"] },
  },
  templatesPath: "templates.json",
  imageTemplate: "registry.example/{repo}:{instance_id}",
  memoryBytes: 2 ** 30,
  containment: { diskBytes: 2 ** 31, capAdd: ["SYS_PTRACE"], allowHosts: ["pypi.org"] },
  cpus: 2,
  maxImageDiskBytes: 10 ** 11,
  namespace: "evals",
  podTemplate: "pod.yaml",
});

const record: RunRecord = {
  config,
  dataset: "tasks/fixtures",
  model_name: "my-model",
  owner: "host:1:2",
  started_at: "2025-01-01T12:00:00.000Z",
  node: "v20.0.0",
  image_disk: { max_bytes: null, peak_bytes: 5 },
};

function written(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("run.json", () => {
  it("names every key in snake_case (each table entry is its key's snake_case)", () => {
    const tables = [RUN_CONFIG_KEYS, MODEL_KEYS, SAMPLING_KEYS, RETRY_KEYS, AGENT_KEYS, XML_KEYS, CONTAINMENT_KEYS];
    for (const table of tables) {
      for (const [key, name] of Object.entries(table)) {
        expect(name, key).toBe(key.replace(/([a-z0-9])([A-Z]+)/g, (_, a: string, b: string) => `${a}_${b.toLowerCase()}`));
      }
    }
  });

  it("writes snake_case keys throughout, without the API key, and user data as it was given", () => {
    const file = JSON.parse(runJsonText(record));
    expect(Object.keys(file)).toEqual(["config", "dataset", "model_name", "owner", "started_at", "node", "image_disk"]);
    expect(file.config).toMatchObject({
      run_id: "every-field",
      model_urls: ["http://127.0.0.1:8000/v1", "http://127.0.0.1:8001/v1"],
      image_template: "registry.example/{repo}:{instance_id}",
      infra_retries: 2,
      observation_mode: { kind: "bundles", env_variables: { PAGER: "cat", myVar: "x" } },
      containment: { disk_bytes: 2 ** 31, cap_add: ["SYS_PTRACE"], no_new_privileges: true },
    });
    expect(file.config.model).toMatchObject({
      base_url: "http://127.0.0.1:8000/v1",
      max_model_len: 32768,
      sampling: { top_p: 0.9, max_tokens: null },
      retry: { max_attempts: 8 },
      extra_body: { top_k: 20, chat_template_kwargs: { enableThinking: false }, repetitionPenalty: 1.05 },
    });
    expect(file.config.model).not.toHaveProperty("api_key");
    expect(runJsonText(record)).not.toContain("sk-secret");
    expect(file.config.agent).toMatchObject({
      action_format: "tools",
      env_variables: { PIP_PROGRESS_BAR: "off", gitPager: "cat" },
      xml: { skip_think: true, view_range_to_end: false },
      templates: { system_template: "You are {{agentName}}." },
      history_processors: [{ type: "last_n_observations", n: 5 }],
    });
    // No camelCase key anywhere but inside the user's own maps.
    const userMaps = new Set(["extra_body", "env_variables", "registry_variables"]);
    const camelKeys: string[] = [];
    const walk = (value: unknown, path: string) => {
      if (typeof value !== "object" || value === null) return;
      for (const [key, inner] of Object.entries(value)) {
        if (/[A-Z]/.test(key)) camelKeys.push(`${path}.${key}`);
        if (!userMaps.has(key)) walk(inner, `${path}.${key}`);
      }
    };
    walk(file, "");
    expect(camelKeys).toEqual([]);
  });

  it("reads back the config it wrote (the API key aside)", () => {
    const read = readRunJson(written("round-trip.json", runJsonText(record)));
    expect(read).toEqual({ ...record, config: { ...config, model: { ...config.model, apiKey: undefined } } });
    expect(read.config.model).not.toHaveProperty("apiKey");
  });

  it("reads a run.json written before it was snake_case", () => {
    // What the previous version wrote: the parsed RunConfig as it is, the API key left undefined.
    const older = {
      config: { ...config, model: { ...config.model, apiKey: undefined } },
      dataset: "tasks/fixtures",
      modelName: "my-model",
      owner: "host:1:2",
      startedAt: "2025-01-01T12:00:00.000Z",
      node: "v20.0.0",
      image_disk: { max_bytes: null, peak_bytes: 5 },
    };
    const path = written("camel.json", JSON.stringify(older, null, 2));
    expect(readRunJson(path)).toEqual(readRunJson(written("snake.json", runJsonText(record))));
  });

  it("says an older run.json whose config no longer reads was written by an older bottega", () => {
    const path = written(
      "old-bad.json",
      JSON.stringify({ config: { runId: "x", dataset: "d" }, startedAt: "t", node: "v20", dataset: "d" }),
    );
    expect(() => readRunJson(path)).toThrow(
      /run\.json was written by an older bottega \(camelCase keys\) whose config .*start a new run id/,
    );
  });

  it("names the field of a malformed file", () => {
    const file = JSON.parse(runJsonText(record));
    file.config.timeout_sec = "long";
    expect(() => readRunJson(written("bad.json", JSON.stringify(file)))).toThrow(/bad\.json: field "config\.timeout_sec": /);
    expect(() => readRunJson(written("torn.json", "{"))).toThrow(/torn\.json: not a readable JSON file/);
  });

  it("keeps the file as written when read and written again", () => {
    const text = runJsonText(record);
    expect(runJsonText(readRunJson(written("again.json", text)))).toBe(text);
    expect(JSON.parse(readFileSync(join(dir, "again.json"), "utf8")).config.run_id).toBe("every-field");
  });
});

describe("resuming a run (configChanges against run.json)", () => {
  const previous = readRunJson(written("resume-base.json", runJsonText(record)));
  const ownPredictions = join(dir, "runs", "every-field", "predictions.jsonl");
  const changesFor = (input: object, modelName = "my-model") =>
    configChanges(previous, RunConfig.parse({ ...config, ...input }), modelName, ownPredictions).map((change) => describeChange(change));

  it("finds nothing when only how the run runs changed (workers, endpoints, limits, timeouts)", () => {
    expect(
      changesFor({
        workers: 1,
        gradeWorkers: 3,
        modelURLs: ["http://127.0.0.1:9000/v1"],
        memoryBytes: 2 ** 34,
        timeoutSec: 60,
        model: {
          ...config.model,
          baseURL: "http://127.0.0.1:9000/v1",
          requestTimeoutMs: 5,
          retry: { ...config.model!.retry, maxAttempts: 9 },
        },
      }),
    ).toEqual([]);
  });

  it("names each changed setting that decides results, down to its own field", () => {
    const changed = changesFor(
      {
        model: { ...config.model, sampling: { ...config.model!.sampling, temperature: 0.7 } },
        agent: { ...config.agent, stepLimit: 7, templates: { ...config.agent.templates, system_template: "Be brief." } },
        grading: "v5",
      },
      "checkpoint-2",
    );
    expect(changed).toEqual([
      'modelName: "my-model" → "checkpoint-2"',
      "model.sampling.temperature: 0 → 0.7",
      "agent.stepLimit: 50 → 7",
      'agent.templates.system_template: "You are {{agentName}}." → "Be brief."',
      'grading: "v4" → "v5"',
    ]);
  });

  it("refuses a switch between running the agent and grading given predictions, except the run's own", () => {
    const agentRun = readRunJson(written("resume-agent.json", runJsonText({ ...record, config: { ...config } })));
    const grading = (predictions: string) => {
      const { model: _model, modelURLs: _urls, ...rest } = config;
      return RunConfig.parse({ ...rest, predictions });
    };
    expect(configChanges(agentRun, grading("other.jsonl"), undefined, ownPredictions).map((c) => describeChange(c))).toEqual([
      'mode: "agent" → "predictions"',
    ]);
    expect(configChanges(agentRun, grading(ownPredictions), undefined, ownPredictions)).toEqual([]);
  });
});
