import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES_DIR } from "../harness/images/fixture-repo.ts";
import type { TaskRow } from "../harness/dataset/task-row.ts";
import { Trajectory } from "../scaffold/trajectory.ts";
import { episodeConversation, replayTurn } from "../src/foundation/model/scripted/recorded-episodes.ts";
import { toolCalls } from "../src/foundation/model/scripted/script.ts";
import type { FakeOpenAI } from "../src/foundation/model/scripted/server.ts";
import { runCli } from "./support/cli.ts";
import { fixtureSuite } from "./support/fixture-suite.ts";

/**
 * The agent end to end through the CLI: real containers from the fixture images, the real
 * openai client in the CLI process, the scripted OpenAI-compatible server in this one.
 */
const suite = fixtureSuite("agent");
const ids = suite.ids;
const episode = (row: TaskRow, patch: string) => suite.episode(row, patch);
const serve = suite.serve;

async function evalWith(server: FakeOpenAI, runId: string, extra: string[] = []) {
  const result = await runCli(suite.evalArgs(server, runId, "--workers", "3", ...extra));
  expect(result.code, result.stderr + result.stdout).toBe(0);
  return suite.readJson(runId, "report.json");
}

function trajectory(runId: string, id: string): Trajectory {
  return Trajectory.parse(JSON.parse(readFileSync(join(suite.results, runId, "trajectories", `${id}.json`), "utf8")));
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
    const server = await serve(suite.rows.map((row) => episodeConversation(episode(row, row.patch), row.problem_statement)));
    const report = await evalWith(server, "tools", ["--config", "tools"]);
    expect(report.resolved_ids).toEqual(ids());
    for (const row of suite.rows) {
      expectAppendOnly(server, row.instance_id);
      const t = trajectory("tools", row.instance_id);
      expect(t.exit_status).toBe("submitted");
      expect(t.steps.every((s) => s.action?.source === "native")).toBe(true);
      // The agent's patch is the gold fix, byte for byte, since it made exactly those edits.
      expect(t.patch).toBe(row.patch);
    }
    const predictions = readFileSync(join(suite.results, "tools", "predictions.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(predictions.map((p) => p.instance_id).sort()).toEqual(ids());
    expect(predictions[0].model_name_or_path).toBe("fake-model");

    // The fine-tuning export holds each conversation exactly as the model saw it.
    const exported = await runCli(["export", "--run-id", "tools", "--results", suite.results, "--resolved-only"]);
    expect(exported.code, exported.stderr).toBe(0);
    const records = readFileSync(join(suite.results, "tools", "export.chat.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
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
    const two = suite.rows.slice(0, 2);
    const server = await serve(two.map((row) => episodeConversation(episode(row, row.patch), row.problem_statement)));
    const ran = await runCli([
      "run",
      "--model-url",
      server.url,
      "--run-id",
      "agent-only",
      "--results",
      suite.results,
      "--instances",
      two.map((r) => r.instance_id).join(","),
    ]);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).not.toContain("grade ");
    const predictions = join(suite.results, "agent-only", "predictions.jsonl");
    const graded = await runCli([
      "eval",
      "--predictions",
      predictions,
      "--run-id",
      "graded-later",
      "--results",
      suite.results,
      "--instances",
      two.map((r) => r.instance_id).join(","),
    ]);
    expect(graded.code, graded.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(suite.results, "graded-later", "report.json"), "utf8"));
    expect(report.resolved_ids).toEqual(two.map((r) => r.instance_id).sort());
  });

  it("resolves every fixture in text mode (fenced blocks, no tools sent)", async () => {
    const server = await serve(suite.rows.map((row) => episodeConversation(episode(row, row.patch), row.problem_statement)));
    const report = await evalWith(server, "text", ["--action-format", "text"]);
    expect(report.resolved_ids).toEqual(ids());
    for (const request of server.requests.filter((r) => r.path.endsWith("/chat/completions"))) {
      expect((request.body as { tools?: unknown }).tools).toBeUndefined();
    }
    expect(trajectory("text", suite.rows[0]!.instance_id).steps.every((s) => s.action?.source === "text")).toBe(true);
  });

  it("grades a scripted wrong fix unresolved", async () => {
    const server = await serve(
      suite.rows.map((row) =>
        episodeConversation(
          episode(row, readFileSync(join(FIXTURES_DIR, "wrong", `${row.instance_id}.diff`), "utf8")),
          row.problem_statement,
        ),
      ),
    );
    const report = await evalWith(server, "wrong");
    expect(report.unresolved_ids).toEqual(ids());
  });

  it("recovers from malformed tool calls after the error message", async () => {
    const row = suite.rows[0]!;
    const good = episode(row, row.patch).actions;
    const server = await serve([
      {
        name: row.instance_id,
        match: row.problem_statement,
        turns: [
          toolCalls({ name: "bash", arguments: '{"command": "ls -la' }),
          { type: "reply", content: 'Let me try again.\n<tool_call>\n{"name": "bash", "arguments": {"command": "ls"}}\n</tool_call>' },
          toolCalls({ name: "str_replace_editor", arguments: { command: "view" } }),
          ...good.map(replayTurn),
        ],
      },
    ]);
    const report = await evalWith(server, "malformed", ["--instances", row.instance_id, "--config", "tools"]);
    expect(report.resolved_ids).toEqual([row.instance_id]);
    const t = trajectory("malformed", row.instance_id);
    expect(t.exit_status).toBe("submitted");
    expect(t.steps[0]!.format_error?.code).toBe("invalid_json");
    expect(t.steps[1]!.action).toMatchObject({ tool: "bash", source: "hermes" });
    expect(t.steps[2]!.format_error?.code).toBe("missing_arg");
    // The error went back to the model as the answer to its call, naming what was wrong.
    const third = server.chatRequests(row.instance_id)[1]!.body as { messages: Array<{ role: string; content: string }> };
    expect(third.messages.at(-1)!.role).toBe("tool");
    expect(third.messages.at(-1)!.content).toMatch(/JSON/i);
    const fourth = server.chatRequests(row.instance_id)[3]!.body as { messages: Array<{ role: string; content: string }> };
    expect(fourth.messages.at(-1)!.content).toContain("path");
  });

  it("ends an episode that overflows the context with exit_context, and grades its salvaged patch", async () => {
    const row = suite.rows[0]!;
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
    expect(readFileSync(join(suite.results, "overflow", "summary.md"), "utf8")).toContain("exit_context");
  });

  it("ends episodes at the format-error and step limits, salvaging what was done", async () => {
    const [a, b] = [suite.rows[1]!, suite.rows[0]!]; // b: calc-1, whose fix is one str_replace
    const server = await serve([
      {
        name: a.instance_id,
        match: a.problem_statement,
        turns: [1, 2, 3].map(() => ({ type: "reply" as const, content: "I will just think out loud." })),
      },
      episodeConversation(episode(b, b.patch), b.problem_statement),
    ]);
    // b's episode makes its one edit at step 4 (explore, view, test, edit), then would go on.
    const report = await evalWith(server, "limits", ["--instances", `${a.instance_id},${b.instance_id}`, "--max-steps", "4"]);
    const ta = trajectory("limits", a.instance_id);
    expect(ta.exit_status).toBe("exit_format");
    expect(ta.steps.map((s) => s.format_error?.code)).toEqual(["missing", "missing", "missing"]);
    expect(ta.patch).toBe("");
    const tb = trajectory("limits", b.instance_id);
    expect(tb.exit_status).toBe("exit_step_limit");
    expect(tb.steps).toHaveLength(4);
    expect(tb.patch).toBe(b.patch);
    expect(tb.config).toMatchObject({
      agent: { step_limit: 4 },
      profile: "swe-agent",
      model: { base_url: server.url, sampling: { temperature: 0 } },
    });
    expect(tb.config.model).not.toHaveProperty("api_key"); // never written to disk
    expect(report.empty_patch_ids).toEqual([a.instance_id]);
    expect(report.resolved_ids).toEqual([b.instance_id]);
  });
});
