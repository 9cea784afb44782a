import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { episodeConversation } from "../src/foundation/model/scripted/recorded-episodes.ts";
import { readTrajectory, type Trajectory } from "../scaffold/trajectory.ts";
import { runCli } from "./support/cli.ts";
import { fixtureSuite } from "./support/fixture-suite.ts";

/**
 * The export formats of a real run: two fixtures run through the CLI against the scripted model
 * with native tool calls, one fixed (resolved), one left as it was (unresolved), then exported.
 */
const suite = fixtureSuite("export");
const RUN = "export-run";
let resolvedId: string;
let unresolvedId: string;

beforeAll(async () => {
  const [fixed, untouched] = suite.rows.slice(0, 2);
  resolvedId = fixed!.instance_id;
  unresolvedId = untouched!.instance_id;
  const server = await suite.serve([
    episodeConversation(suite.episode(fixed!, fixed!.patch), fixed!.problem_statement),
    episodeConversation(suite.episode(untouched!, ""), untouched!.problem_statement),
  ]);
  const ran = await runCli([
    "eval",
    "--model-url",
    server.url,
    "--run-id",
    RUN,
    "--results",
    suite.results,
    "--instances",
    `${resolvedId},${unresolvedId}`,
    "--action-format",
    "tools",
  ]);
  expect(ran.code, ran.stderr + ran.stdout).toBe(0);
  const report = JSON.parse(readFileSync(join(suite.results, RUN, "report.json"), "utf8"));
  expect(report.resolved_ids).toEqual([resolvedId]);
});

const trajectoryOf = (id: string): Trajectory => readTrajectory(join(suite.results, RUN, "trajectories", `${id}.json`));

async function exportAs(format: string, extra: string[] = []) {
  const result = await runCli(["export", "--run-id", RUN, "--results", suite.results, "--format", format, ...extra]);
  expect(result.code, result.stderr).toBe(0);
  return result;
}

/** What SWE-smith's transform_traj_xml needs of a message (reference §9.6–9.7). */
function expectSweSmithReadable(message: Record<string, unknown>) {
  expect(typeof message.role).toBe("string");
  expect(typeof message.content).toBe("string");
  if (message.role === "assistant") {
    expect(typeof message.thought).toBe("string");
    const calls = message.tool_calls as Array<{ function: { name: string; arguments: string } }> | null;
    expect(Array.isArray(calls)).toBe(true);
    for (const call of calls!) {
      expect(typeof call.function.name).toBe("string");
      expect(typeof JSON.parse(call.function.arguments)).toBe("object");
    }
  }
}

describe("bottega export --format swe-agent-traj", () => {
  it("writes <iid>/<iid>.traj, .pred and preds.json with the structure SWE-agent's inspector and SWE-smith read", async () => {
    const result = await exportAs("swe-agent-traj");
    const out = join(suite.results, RUN, "export.swe-agent");
    expect(result.stdout).toContain(`2 trajectories written to ${out}`);
    expect(readdirSync(out).sort()).toEqual([resolvedId, unresolvedId, "preds.json"].sort());

    const bottega = trajectoryOf(resolvedId);
    const traj = JSON.parse(readFileSync(join(out, resolvedId, `${resolvedId}.traj`), "utf8"));
    expect(Object.keys(traj)).toEqual(["trajectory", "history", "info", "replay_config", "environment"]);
    expect(traj.environment).toBe(resolvedId);

    // history: system prompt, the task as the first user item, then reply / observation pairs.
    expect(traj.history[0]).toMatchObject({
      role: "system",
      agent: "main",
      message_type: "system_prompt",
      content: bottega.initial_messages[0]!.content,
    });
    expect(traj.history[1]).toMatchObject({ role: "user", agent: "main", message_type: "observation" });
    expect(traj.history[1].content).toContain(bottega.task.problem_statement);
    const assistants = traj.history.filter((item: { role: string }) => item.role === "assistant");
    expect(assistants).toHaveLength(bottega.steps.length);
    for (const item of traj.history) expect(item.agent).toBe("main");
    for (const item of assistants) {
      expect(item.message_type).toBe("action");
      expect(typeof item.action).toBe("string"); // the inspector reads it from every assistant item
      expectSweSmithReadable(item);
    }
    // Native calls answered by tool messages, with the call's id.
    const observations = traj.history.filter((item: { role: string }) => item.role === "tool");
    expect(observations.length).toBe(bottega.steps.length);
    expect(observations[0].tool_call_ids).toEqual([bottega.steps[0]!.response.tool_calls[0]!.id]);

    // trajectory: one entry per model query, the action as SWE-agent's command line.
    expect(traj.trajectory).toHaveLength(bottega.steps.length);
    for (const entry of traj.trajectory) {
      expect(Object.keys(entry).sort()).toEqual([
        "action",
        "execution_time",
        "extra_info",
        "observation",
        "query",
        "response",
        "state",
        "thought",
      ]);
      expect(typeof entry.execution_time).toBe("number");
    }
    const first = bottega.steps[0]!;
    expect(traj.trajectory[0].action).toBe((first.action!.args as { command: string }).command.trim());
    expect(traj.trajectory[0].observation).toBe(first.observation);
    expect(traj.trajectory[0].thought).toBe(first.response.content);
    const view = bottega.steps.findIndex((s) => s.action?.tool === "str_replace_editor" && s.action.args.command === "view");
    expect(traj.trajectory[view].action).toBe(`str_replace_editor view ${(bottega.steps[view]!.action!.args as { path: string }).path}`);
    const edit = bottega.steps.findIndex((s) => s.action?.tool === "str_replace_editor" && s.action.args.command === "str_replace");
    expect(traj.trajectory[edit].action).toMatch(/^str_replace_editor str_replace \/testbed\/\S+ {3}--old_str '/);
    // Each query is the history before that reply; the last one is SWE-smith's training input.
    expect(traj.trajectory[0].query).toEqual(traj.history.slice(0, 2));
    const lastQuery = traj.trajectory.at(-1).query;
    expect(lastQuery).toEqual(traj.history.slice(0, lastQuery.length));
    for (const message of lastQuery) expectSweSmithReadable(message);
    // The submitting step's observation is the patch, as in SWE-agent.
    expect(traj.trajectory.at(-1).action).toBe("submit");
    expect(traj.trajectory.at(-1).observation).toBe(bottega.patch);

    expect(traj.info).toMatchObject({ submission: bottega.patch, exit_status: "submitted" });
    expect(traj.info.model_stats).toEqual({
      instance_cost: 0,
      tokens_sent: bottega.steps.reduce((n, s) => n + (s.usage?.prompt_tokens ?? 0), 0),
      tokens_received: bottega.steps.reduce((n, s) => n + (s.usage?.completion_tokens ?? 0), 0),
      api_calls: bottega.steps.length,
    });
    expect(traj.info.model_stats.tokens_sent).toBeGreaterThan(0);
    expect(typeof traj.replay_config).toBe("string");
    expect(JSON.parse(traj.replay_config).problem_statement).toEqual({
      type: "text",
      text: bottega.task.problem_statement,
      id: resolvedId,
    });

    const pred = JSON.parse(readFileSync(join(out, resolvedId, `${resolvedId}.pred`), "utf8"));
    expect(pred).toEqual({ model_name_or_path: "fake-model", instance_id: resolvedId, model_patch: bottega.patch });
    const preds = JSON.parse(readFileSync(join(out, "preds.json"), "utf8"));
    expect(Object.keys(preds).sort()).toEqual([resolvedId, unresolvedId].sort());
    expect(preds[unresolvedId].model_patch).toBe("");
    const unresolved = JSON.parse(readFileSync(join(out, unresolvedId, `${unresolvedId}.traj`), "utf8"));
    expect(unresolved.info).toMatchObject({ submission: null, exit_status: "submitted" });
  });

  it("--resolved-only keeps only the resolved episode", async () => {
    const out = join(suite.results, RUN, "only-resolved.swe-agent");
    const result = await exportAs("swe-agent-traj", ["--resolved-only", "--output", out]);
    expect(result.stdout).toContain("1 trajectories written");
    expect(result.stdout).toContain("(1 left out)");
    expect(readdirSync(out).sort()).toEqual([resolvedId, "preds.json"].sort());
  });
});

describe("bottega export --format xml-chat", () => {
  it("renders native tool calls as XML function blocks, tool results as user turns, and ends with the final call", async () => {
    await exportAs("xml-chat");
    const records = readFileSync(join(suite.results, RUN, "export.xml-chat.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(records.map((r) => r.instance_id).sort()).toEqual([resolvedId, unresolvedId].sort());
    const record = records.find((r) => r.instance_id === resolvedId)!;
    expect(record.resolved).toBe(true);
    expect(record.tools).toBeUndefined();
    const bottega = trajectoryOf(resolvedId);
    const messages = record.messages as Array<{ role: string; content: string }>;
    for (const message of messages) expect(Object.keys(message).sort()).toEqual(["content", "role"]);
    expect(messages.map((m) => m.role)).toEqual(["system", "user", ...bottega.steps.flatMap(() => ["assistant", "user"])].slice(0, -1));
    const assistants = messages.filter((m) => m.role === "assistant");
    expect(assistants).toHaveLength(bottega.steps.length);
    // Every turn: the thought, a blank line, then exactly one function block.
    for (const [index, turn] of assistants.entries()) {
      const step = bottega.steps[index]!;
      expect(turn.content.startsWith(`${step.response.content!.trim()}\n\n<function=${step.action!.tool}>\n`)).toBe(true);
      expect(turn.content.endsWith("</function>")).toBe(true);
      expect(turn.content.match(/<function=/g)).toHaveLength(1);
    }
    const edit = bottega.steps.find((s) => s.action?.args.command === "str_replace")!;
    const args = edit.action!.args as { path: string; old_str: string; new_str: string };
    expect(assistants[bottega.steps.indexOf(edit)]!.content).toBe(
      `${edit.response.content}\n\n<function=str_replace_editor>\n<parameter=command>str_replace</parameter>\n<parameter=path>${args.path}</parameter>\n` +
        `<parameter=old_str>\n${args.old_str}\n</parameter>\n<parameter=new_str>\n${args.new_str}\n</parameter>\n</function>`,
    );
    expect(assistants.at(-1)!.content).toMatch(/<function=submit>\n<\/function>$/);
    // The tools, sent as a tools array in this run, are documented in the system prompt in XML.
    expect(
      messages[0]!.content.startsWith(
        `${bottega.initial_messages[0]!.content}\n\nYou have access to the following functions:\n\n---- BEGIN FUNCTION #1: bash ----\n`,
      ),
    ).toBe(true);
    expect(messages[0]!.content).toContain("---- BEGIN FUNCTION #2: str_replace_editor ----");
    expect(messages[0]!.content).toContain("<function=example_function_name>");
    // Tool results come back as the user turns the model was sent.
    expect(messages[3]!.content).toBe(bottega.steps[0]!.observation_sent);
  });

  it("--resolved-only filters", async () => {
    const output = join(suite.results, RUN, "resolved.xml-chat.jsonl");
    await exportAs("xml-chat", ["--resolved-only", "--output", output]);
    const records = readFileSync(output, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(records.map((r) => r.instance_id)).toEqual([resolvedId]);
  });

  it("refuses an unknown format with a usage error", async () => {
    const result = await runCli(["export", "--run-id", RUN, "--results", suite.results, "--format", "parquet"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--format: expected one of chat-jsonl, xml-chat, swe-agent-traj, got "parquet"');
    expect(existsSync(join(suite.results, RUN, "export.parquet"))).toBe(false);
  });
});
