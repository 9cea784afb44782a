import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDataset } from "../harness/dataset.ts";
import { buildFixtureImages } from "../harness/fixture-images.ts";
import { FIXTURES_DIR, fixtureRepoDir } from "../harness/fixture-repo.ts";
import type { TaskRow } from "../harness/task-row.ts";
import { Trajectory } from "../scaffold/trajectory.ts";
import { connectDocker } from "../src/sandbox/docker-engine.ts";
import { episodeConversation, replayTurn, type RecordedEpisode } from "./fake-openai/recorded-episodes.ts";
import { toolCalls, type Conversation } from "./fake-openai/script.ts";
import { startFakeOpenAI, type FakeOpenAI } from "./fake-openai/server.ts";
import { runCli } from "./support/cli.ts";
import { episodeFromPatch } from "./support/scripted-episode.ts";

/**
 * The agent end to end through the CLI: real containers from the fixture images, the real
 * openai client in the CLI process, the scripted OpenAI-compatible server in this one.
 */
let rows: TaskRow[];
let results: string;
const servers: FakeOpenAI[] = [];

beforeAll(async () => {
  rows = (await loadDataset({ source: FIXTURES_DIR })).rows;
  await buildFixtureImages(await connectDocker());
  results = mkdtempSync(join(tmpdir(), "bottega-agent-"));
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

const ids = () => rows.map((row) => row.instance_id).sort();

function episode(row: TaskRow, patch: string): RecordedEpisode {
  return { instance_id: row.instance_id, description: "", actions: episodeFromPatch(patch, fixtureRepoDir(row.instance_id)) };
}

async function serve(conversations: Conversation[], options: { maxModelLen?: number } = {}): Promise<FakeOpenAI> {
  const server = await startFakeOpenAI({ conversations, maxModelLen: options.maxModelLen ?? 32_768 });
  servers.push(server);
  return server;
}

async function evalWith(server: FakeOpenAI, runId: string, extra: string[] = []) {
  const result = await runCli(["eval", "--model-url", server.url, "--run-id", runId, "--results", results, "--workers", "3", ...extra]);
  expect(result.code, result.stderr + result.stdout).toBe(0);
  return JSON.parse(readFileSync(join(results, runId, "report.json"), "utf8"));
}

function trajectory(runId: string, id: string): Trajectory {
  return Trajectory.parse(JSON.parse(readFileSync(join(results, runId, "trajectories", `${id}.json`), "utf8")));
}

/** Each request of a conversation starts with exactly the messages of the one before. */
function expectAppendOnly(server: FakeOpenAI, conversation: string) {
  const requests = server.chatRequests(conversation).map((r) => (r.body as { messages: unknown[] }).messages);
  expect(requests.length).toBeGreaterThan(2);
  for (let i = 1; i < requests.length; i++) {
    expect(requests[i]!.slice(0, requests[i - 1]!.length)).toEqual(requests[i - 1]);
    expect(requests[i]!.length).toBeGreaterThan(requests[i - 1]!.length);
  }
}

describe("bottega eval --model-url with a scripted model", () => {
  it("resolves every fixture in tool mode: explore, edit, run tests, submit; history is append-only", async () => {
    const server = await serve(rows.map((row) => episodeConversation(episode(row, row.patch), row.problem_statement)));
    const report = await evalWith(server, "tools");
    expect(report.resolved_ids).toEqual(ids());
    for (const row of rows) {
      expectAppendOnly(server, row.instance_id);
      const t = trajectory("tools", row.instance_id);
      expect(t.exit_status).toBe("submitted");
      expect(t.steps.every((s) => s.action?.source === "native")).toBe(true);
      // The agent's patch is the gold fix, byte for byte, since it made exactly those edits.
      expect(t.patch).toBe(row.patch);
    }
    const predictions = readFileSync(join(results, "tools", "predictions.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(predictions.map((p) => p.instance_id).sort()).toEqual(ids());
    expect(predictions[0].model_name_or_path).toBe("fake-model");

    // The fine-tuning export holds each conversation exactly as the model saw it.
    const exported = await runCli(["export", "--run-id", "tools", "--results", results, "--resolved-only"]);
    expect(exported.code, exported.stderr).toBe(0);
    const records = readFileSync(join(results, "tools", "export.chat.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(records.map((r) => r.instance_id).sort()).toEqual(ids());
    for (const record of records) {
      const requests = server.chatRequests(record.instance_id);
      const last = requests.at(-1)!.body as { messages: unknown[]; tools: unknown[] };
      expect(record.messages.slice(0, last.messages.length)).toEqual(last.messages);
      expect(record.messages.length).toBe(last.messages.length + 2); // the final call and its answer
      expect(record.tools).toEqual(last.tools);
      expect(record.resolved).toBe(true);
    }
  });

  it("bottega run writes predictions only; eval --predictions grades them", async () => {
    const two = rows.slice(0, 2);
    const server = await serve(two.map((row) => episodeConversation(episode(row, row.patch), row.problem_statement)));
    const ran = await runCli(["run", "--model-url", server.url, "--run-id", "agent-only", "--results", results, "--instances", two.map((r) => r.instance_id).join(",")]);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).not.toContain("grade ");
    const predictions = join(results, "agent-only", "predictions.jsonl");
    const graded = await runCli(["eval", "--predictions", predictions, "--run-id", "graded-later", "--results", results, "--instances", two.map((r) => r.instance_id).join(",")]);
    expect(graded.code, graded.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(results, "graded-later", "report.json"), "utf8"));
    expect(report.resolved_ids).toEqual(two.map((r) => r.instance_id).sort());
  });

  it("resolves every fixture in text mode (fenced blocks, no tools sent)", async () => {
    const server = await serve(rows.map((row) => episodeConversation(episode(row, row.patch), row.problem_statement)));
    const report = await evalWith(server, "text", ["--action-format", "text"]);
    expect(report.resolved_ids).toEqual(ids());
    for (const request of server.requests.filter((r) => r.path.endsWith("/chat/completions"))) {
      expect((request.body as { tools?: unknown }).tools).toBeUndefined();
    }
    expect(trajectory("text", rows[0]!.instance_id).steps.every((s) => s.action?.source === "text")).toBe(true);
  });

  it("grades a scripted wrong fix unresolved", async () => {
    const server = await serve(
      rows.map((row) => episodeConversation(episode(row, readFileSync(join(FIXTURES_DIR, "wrong", `${row.instance_id}.diff`), "utf8")), row.problem_statement)),
    );
    const report = await evalWith(server, "wrong");
    expect(report.unresolved_ids).toEqual(ids());
  });

  it("recovers from malformed tool calls after the error message", async () => {
    const row = rows[0]!;
    const good = episode(row, row.patch).actions;
    const server = await serve([
      {
        name: row.instance_id,
        match: row.problem_statement,
        turns: [
          toolCalls({ name: "bash", arguments: '{"command": "ls -la' }),
          { type: "reply", content: "Let me try again.\n<tool_call>\n{\"name\": \"bash\", \"arguments\": {\"command\": \"ls\"}}\n</tool_call>" },
          toolCalls({ name: "str_replace_editor", arguments: { command: "view" } }),
          ...good.map(replayTurn),
        ],
      },
    ]);
    const report = await evalWith(server, "malformed", ["--instances", row.instance_id]);
    expect(report.resolved_ids).toEqual([row.instance_id]);
    const t = trajectory("malformed", row.instance_id);
    expect(t.exit_status).toBe("submitted");
    expect(t.steps[0]!.formatError?.code).toBe("invalid_json");
    expect(t.steps[1]!.action).toMatchObject({ tool: "bash", source: "hermes" });
    expect(t.steps[2]!.formatError?.code).toBe("missing_arg");
    // The error went back to the model as the answer to its call, naming what was wrong.
    const third = server.chatRequests(row.instance_id)[1]!.body as { messages: Array<{ role: string; content: string }> };
    expect(third.messages.at(-1)!.role).toBe("tool");
    expect(third.messages.at(-1)!.content).toMatch(/JSON/i);
    const fourth = server.chatRequests(row.instance_id)[3]!.body as { messages: Array<{ role: string; content: string }> };
    expect(fourth.messages.at(-1)!.content).toContain("path");
  });

  it("ends an episode that overflows the context with exit_context, and grades its salvaged patch", async () => {
    const row = rows[0]!;
    const actions = episode(row, row.patch).actions;
    const edits = actions.filter((a) => a.call.name === "str_replace_editor" && a.call.arguments.command === "str_replace");
    // Make the fix, then keep printing a large file until the prompt no longer fits.
    const big = { thought: "Printing a lot.", call: { name: "bash", arguments: { command: "seq 1 1500" } } };
    const server = await serve(
      [{ name: row.instance_id, match: row.problem_statement, turns: [...edits, ...Array(30).fill(big)].map(replayTurn) }],
      { maxModelLen: 6000 },
    );
    const report = await evalWith(server, "overflow", ["--instances", row.instance_id, "--max-tokens", "256"]);
    const t = trajectory("overflow", row.instance_id);
    expect(t.exit_status).toBe("exit_context");
    expect(t.patch).toBe(row.patch);
    expect(report.resolved_ids).toEqual([row.instance_id]);
    expect(readFileSync(join(results, "overflow", "summary.md"), "utf8")).toContain("exit_context");
  });
});
