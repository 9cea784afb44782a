import { cpSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { conversation, parseTrajectory, readTrajectory, snakeCaseKeys, TRAJECTORY_FORMAT } from "../scaffold/trajectory.ts";
import { startReplayModel } from "../src/shell/replay-model.ts";
import { PROJECT_ROOT, runCli } from "./support/cli.ts";

/** A run written by format 1 (camelCase steps), recorded with the demo before the change. */
const V1_RUN = join(PROJECT_ROOT, "test", "data", "run-v1");
const V1_FILE = join(V1_RUN, "trajectories", "bottega-fixtures__calc-1.json");

describe("trajectory format 2 (snake_case throughout) and the reader of format 1", () => {
  it("reads a format-1 file as format 2, keeping every value", () => {
    const raw = JSON.parse(readFileSync(V1_FILE, "utf8"));
    expect(raw.format).toBe("bottega-trajectory/1");
    const t = readTrajectory(V1_FILE);
    expect(t.format).toBe(TRAJECTORY_FORMAT);
    expect(t.steps).toHaveLength(raw.steps.length);
    t.steps.forEach((step, i) => {
      const old = raw.steps[i];
      expect(step.message_count).toBe(old.messageCount);
      expect(step.messages_added).toEqual(old.messagesAdded);
      expect(step.response.tool_calls).toEqual(old.response.toolCalls);
      expect(step.usage?.prompt_tokens).toBe(old.usage.promptTokens);
      expect(step.model_latency_ms).toBe(old.modelLatencyMs);
      expect(step.action).toEqual(old.action);
      expect(step.observation_sent).toBe(old.observationSent);
    });
    // Recorded settings are snake_case too.
    expect(t.config).toMatchObject({ agent: { step_limit: raw.config.agent.stepLimit }, review_on_submit: true });
    // Everything on disk in format 2 is snake_case: no key with a capital letter outside raw responses and messages.
    const keys = JSON.stringify({
      ...t,
      steps: t.steps.map(({ response: { raw: _raw, ...r }, messages_added: _m, ...s }) => ({ ...s, response: r })),
    }).match(/"[a-z]+[A-Z]\w*":/g);
    expect(keys).toBeNull();
  });

  it("records settings in snake_case but keeps the user's own keys (request body, environment) as given", () => {
    const recorded = snakeCaseKeys({
      model: { maxModelLen: 8, extraBody: { chatTemplateKwargs: { enableThinking: false } } },
      agent: { stepLimit: 3, envVariables: { GIT_PAGER: "cat", myVar: "1" } },
    });
    expect(recorded).toEqual({
      model: { max_model_len: 8, extra_body: { chatTemplateKwargs: { enableThinking: false } } },
      agent: { step_limit: 3, env_variables: { GIT_PAGER: "cat", myVar: "1" } },
    });
  });

  it("names the field of a bad file", () => {
    const raw = JSON.parse(readFileSync(V1_FILE, "utf8"));
    delete raw.steps[2].messageCount;
    expect(() => parseTrajectory(raw, "x.json")).toThrow(/x\.json: field "steps\.2\.messageCount"/);
    expect(() => parseTrajectory({ ...raw, format: "bottega-trajectory/9" }, "y.json")).toThrow(/y\.json: field "format"/);
  });

  it("exports a format-1 run through the CLI", async () => {
    const results = mkdtempSync(join(tmpdir(), "bottega-v1-"));
    cpSync(V1_RUN, join(results, "old"), { recursive: true });
    const exported = await runCli(["export", "--run-id", "old", "--results", results, "--resolved-only"]);
    expect(exported.code, exported.stderr).toBe(0);
    const records = readFileSync(join(results, "old", "export.chat.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(records).toHaveLength(1);
    const raw = JSON.parse(readFileSync(V1_FILE, "utf8"));
    expect(records[0].messages).toEqual([
      ...raw.initial_messages,
      ...raw.steps.flatMap((s: { messagesAdded: unknown[] }) => s.messagesAdded),
    ]);
    expect(records[0].messages).toEqual(conversation(readTrajectory(V1_FILE)));
    expect(records[0]).toMatchObject({ instance_id: "bottega-fixtures__calc-1", resolved: true, tools: raw.tools });
  });

  it("replays a format-1 run: the replay model answers with its actions in order", async () => {
    const raw = JSON.parse(readFileSync(V1_FILE, "utf8"));
    const replay = await startReplayModel(join(V1_RUN, "trajectories"));
    try {
      const messages: unknown[] = [...raw.initial_messages];
      for (const step of raw.steps) {
        const response = await fetch(`${replay.url}/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "m", messages, tools: raw.tools }),
        });
        const reply = (
          (await response.json()) as {
            choices: Array<{ message: { tool_calls: Array<{ function: { name: string; arguments: string } }> } }>;
          }
        ).choices[0]!.message;
        expect(reply.tool_calls[0]!.function.name).toBe(step.action.tool);
        expect(JSON.parse(reply.tool_calls[0]!.function.arguments)).toEqual(step.action.args);
        messages.push(...step.messagesAdded);
      }
    } finally {
      await replay.close();
    }
  });
});
