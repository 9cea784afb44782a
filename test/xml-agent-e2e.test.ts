import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { readTrajectory, type Trajectory } from "../scaffold/trajectory.ts";
import { episodeConversation, replayTurn, xmlAction, type RecordedEpisode } from "../src/foundation/model/scripted/recorded-episodes.ts";
import type { ChatRequest, Conversation, ReplyTurn } from "../src/foundation/model/scripted/script.ts";
import type { FakeOpenAI } from "../src/foundation/model/scripted/server.ts";
import { PROJECT_ROOT, runCli } from "./support/cli.ts";
import { fixtureSuite } from "./support/fixture-suite.ts";

/**
 * SWE-agent's XML function calls end to end through the CLI (the davinci-dev configuration):
 * real containers, the real openai client in the CLI process, the scripted server here
 * answering in XML.
 */
const suite = fixtureSuite("xml-agent");

type Message = { role: string; content: string; tool_calls?: unknown };
const requestsOf = (server: FakeOpenAI, id: string) =>
  server.chatRequests(id).map((r) => r.body as { messages: Message[]; tools?: unknown; max_tokens?: unknown; seed?: unknown });
const trajectory = (runId: string, id: string): Trajectory => readTrajectory(join(suite.results, runId, "trajectories", `${id}.json`));

async function evalWith(server: FakeOpenAI, runId: string, extra: string[] = []) {
  const result = await runCli(suite.evalArgs(server, runId, "--workers", "3", ...extra));
  expect(result.code, result.stderr + result.stdout).toBe(0);
  return { report: suite.readJson(runId, "report.json"), stderr: result.stderr };
}

/** The agent only (`bottega run`): no grading. */
async function runWith(server: FakeOpenAI, runId: string, extra: string[] = []) {
  const result = await runCli(["run", "--model-url", server.url, "--run-id", runId, "--results", suite.results, ...extra]);
  expect(result.code, result.stderr + result.stdout).toBe(0);
}

/** Every request after a valid step starts with exactly the messages of the one before. */
function expectAppendOnly(server: FakeOpenAI, id: string) {
  const requests = requestsOf(server, id).map((r) => r.messages);
  expect(requests.length).toBeGreaterThan(2);
  for (let i = 1; i < requests.length; i++) expect(requests[i]!.slice(0, requests[i - 1]!.length)).toEqual(requests[i - 1]);
}

/** A conversation that answers each request with the next reply of a list, whatever the history holds. */
function queue(name: string, match: string, replies: Array<ReplyTurn | ((request: ChatRequest) => ReplyTurn)>): Conversation {
  let next = 0;
  const take = (request: ChatRequest) => {
    const reply = replies[next++];
    if (reply === undefined) throw new Error(`${name}: no reply left`);
    return typeof reply === "function" ? reply(request) : reply;
  };
  return { name, match, turns: Array.from({ length: 200 }, () => take) };
}

describe("bottega eval in SWE-agent's XML function-call format", () => {
  it("resolves every fixture with --action-format xml: no tools field, no max_tokens, observations as user turns, append-only", {
    timeout: 1_200_000,
  }, async () => {
    const server = await suite.serve(suite.rows.map((row) => episodeConversation(suite.episode(row), row.problem_statement)));
    const { report } = await evalWith(server, "xml", ["--action-format", "xml", "--last-n-observations", "0"]);
    expect(report.resolved_ids).toEqual(suite.ids());
    for (const row of suite.rows) {
      expectAppendOnly(server, row.instance_id);
      for (const request of requestsOf(server, row.instance_id)) {
        expect(request.tools).toBeUndefined();
        expect(request.max_tokens).toBeUndefined();
        expect(request.seed).toBeUndefined();
        // Only system, user and assistant turns; assistant turns are the raw text, no tool_calls.
        expect(request.messages.every((m) => ["system", "user", "assistant"].includes(m.role) && !m.tool_calls)).toBe(true);
      }
      const t = trajectory("xml", row.instance_id);
      expect(t.exit_status).toBe("submitted");
      expect(t.patch).toBe(row.patch);
      expect(t.steps.every((s) => s.action?.source === "xml")).toBe(true);
      expect(t.steps[0]!.observation_sent).toMatch(/^OBSERVATION:\n/);
      expect(t.config).toMatchObject({
        agent: { configuration: "davinci-dev", action_format: "xml", step_limit: 75, history_processors: [] },
      });
    }
    // The system prompt documents the three functions in SWE-smith's layout.
    const system = requestsOf(server, suite.rows[0]!.instance_id)[0]!.messages[0]!.content;
    expect(system.match(/^---- BEGIN FUNCTION #\d: (\w+) ----$/gm)).toEqual([
      "---- BEGIN FUNCTION #1: bash ----",
      "---- BEGIN FUNCTION #2: submit ----",
      "---- BEGIN FUNCTION #3: str_replace_editor ----",
    ]);
    const run = JSON.parse(readFileSync(join(suite.results, "xml", "run.json"), "utf8"));
    expect(run.config.agent.action_format).toBe("xml");
  });

  it("handles <think>, a malformed call, a missing parameter and two calls as SWE-agent does (requery turns dropped)", {
    timeout: 1_200_000,
  }, async () => {
    const row = suite.rows[0]!;
    const good = suite.episode(row).actions;
    const call = (name: string, params: Record<string, string>) => xmlAction({ thought: "", call: { name, arguments: params } });
    const replies: Array<ReplyTurn & { content: string }> = [
      {
        type: "reply" as const,
        content: `<think>\nWhere is the parser?\n</think>\nLet me list the files.\n\n${call("bash", { command: "ls /testbed" })}`,
      },
      { type: "reply" as const, content: "Now the tests.\n<function=bash>\n<parameter=command>ls</parameter>" }, // no </function>
      { type: "reply" as const, content: `Viewing.\n${call("str_replace_editor", { path: "/testbed" })}` }, // command missing
      {
        type: "reply" as const,
        content: `Two at once.\n${call("bash", { command: "echo first" })}\n${call("bash", { command: "echo second" })}`,
      },
      {
        type: "reply" as const,
        reasoningContent: "The server split this off.",
        content: `Checking git.\n\n${call("bash", { command: "git status --short" })}`,
      },
    ];
    const server = await suite.serve([queue(row.instance_id, row.problem_statement, [...replies, ...good.map(replayTurn)])]);
    const { report } = await evalWith(server, "xml-cases", ["--instances", row.instance_id, "--last-n-observations", "0"]);
    expect(report.resolved_ids).toEqual([row.instance_id]);
    const requests = requestsOf(server, row.instance_id).map((r) => r.messages);
    const history = requests[1]!; // after the first, valid step
    expect(history.at(-2)!.content).toContain("<think>\nWhere is the parser?\n</think>"); // kept as written
    // The malformed reply and its error are sent once, after the history…
    expect(requests[2]!.slice(0, history.length)).toEqual(history);
    expect(requests[2]!.slice(history.length)).toEqual([
      { role: "assistant", content: replies[1]!.content },
      { role: "user", content: "Your action could not be parsed properly: No function found in model response..\n" },
    ]);
    // …replaced by the next failure (only the latest is shown)…
    expect(requests[3]!.slice(history.length)).toEqual([
      { role: "assistant", content: replies[2]!.content },
      { role: "user", content: "Your action could not be parsed properly: Required argument(s) missing: command.\n" },
    ]);
    // …and gone once a valid reply comes: the first of two calls ran, the second stayed in the thought.
    expect(requests[4]!.slice(0, history.length)).toEqual(history);
    expect(requests[4]!.slice(history.length)).toEqual([
      { role: "assistant", content: replies[3]!.content },
      { role: "user", content: "OBSERVATION:\nfirst\n" },
    ]);
    // A reasoning parser's text goes back in front of the reply, inside <think>.
    expect(requests[5]!.at(-2)!.content).toBe(`<think>The server split this off.</think>${replies[4]!.content}`);
    const t = trajectory("xml-cases", row.instance_id);
    expect(t.steps.map((s) => s.format_error?.code ?? s.action?.source)).toEqual([
      "xml",
      "missing",
      "missing_arg",
      "xml",
      "xml",
      ...good.slice(0, t.steps.length - 5).map(() => "xml"),
    ]);
    expect(t.steps[1]!.temporary_messages).toHaveLength(2);
    expect(t.steps[1]!.messages_added).toEqual([]);
    expect(t.steps[3]!.thought).toContain("echo second");
    expect(t.steps[4]!.response.reasoning_content).toBe("The server split this off.");
  });

  it("resolves every fixture with --config and a SWE-agent YAML (its templates and limits honoured; a stray key warned about)", {
    timeout: 1_200_000,
  }, async () => {
    const yaml = parseYaml(readFileSync(join(PROJECT_ROOT, "configs", "davinci-dev.yaml"), "utf8"));
    yaml.agent.templates.next_step_template = "OUTPUT OF YOUR CALL:\n{{observation}}";
    yaml.agent.model.per_instance_call_limit = 20;
    yaml.agent.tools.str_replace_editor = { arguments: [{ name: "view_range", argument_format: "--view_range {{value}}" }] };
    const dir = mkdtempSync(join(tmpdir(), "bottega-config-"));
    const file = join(dir, "my-swe-agent.yaml");
    writeFileSync(file, stringifyYaml(yaml));
    const server = await suite.serve(suite.rows.map((row) => episodeConversation(suite.episode(row), row.problem_statement)));
    const { report, stderr } = await evalWith(server, "yaml", ["--config", file]);
    expect(report.resolved_ids).toEqual(suite.ids());
    expect(stderr).toContain("agent.tools.str_replace_editor");
    const t = trajectory("yaml", suite.rows[0]!.instance_id);
    expect(t.steps[0]!.observation_sent).toMatch(/^OUTPUT OF YOUR CALL:\n/);
    expect(t.config).toMatchObject({
      agent: { configuration: file, step_limit: 20, history_processors: [{ type: "last_n_observations", n: 5 }] },
    });

    // An unsupported key is an error naming it; --config-lenient makes it a warning.
    yaml.agent.tools.filter = { blocklist: ["vim"] };
    yaml.agent.model.fallbacks = [{ name: "other" }];
    writeFileSync(file, stringifyYaml(yaml));
    const refused = await runCli(["eval", "--model-url", server.url, "--run-id", "yaml-bad", "--results", suite.results, "--config", file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("agent.model.fallbacks");
  });

  it("last_n_observations: old observations elided as SWE-agent does; the cached-token share shows the cost", {
    timeout: 1_200_000,
  }, async () => {
    const row = suite.rows[0]!;
    const look = (i: number) => ({ thought: `Look ${i}.`, call: { name: "bash", arguments: { command: `echo step ${i}; seq 1 3` } } });
    const episode: RecordedEpisode = {
      instance_id: row.instance_id,
      description: "",
      actions: [...[1, 2, 3, 4, 5, 6, 7, 8].map(look), ...suite.episode(row).actions],
    };
    const server = await suite.serve([episodeConversation(episode, row.problem_statement)]);
    await runWith(server, "elide", ["--instances", row.instance_id, "--last-n-observations", "2"]);
    const requests = requestsOf(server, row.instance_id).map((r) => r.messages);
    const fifth = requests[4]!; // after 4 steps: observations of steps 1-2 elided, 3-4 whole
    const observations = fifth.filter((m) => m.role === "user").map((m) => m.content);
    expect(observations[0]).toContain("<pr_description>"); // the task is never elided
    expect(observations.slice(1)).toEqual([
      "Old environment output: (5 lines omitted)",
      "Old environment output: (5 lines omitted)",
      "OBSERVATION:\nstep 3\n1\n2\n3\n",
      "OBSERVATION:\nstep 4\n1\n2\n3\n",
    ]);
    const t = trajectory("elide", row.instance_id);
    // The trajectory keeps every observation whole.
    expect(t.steps[0]!.observation_sent).toBe("OBSERVATION:\nstep 1\n1\n2\n3\n");
    // The same episode with the whole history: every prompt extends the last, so the prefix cache serves more of it.
    await runWith(server, "no-elide", ["--instances", row.instance_id, "--last-n-observations", "0"]);
    const cachedShare = async (runId: string) => {
      const status = await runCli(["status", "--run-id", runId, "--results", suite.results, "--json"]);
      expect(status.code, status.stderr).toBe(0);
      return JSON.parse(status.stdout).stats.tokens.cachedShare as number;
    };
    const [elided, whole] = [await cachedShare("elide"), await cachedShare("no-elide")];
    expect(elided).toBeGreaterThan(0);
    expect(elided).toBeLessThan(whole);
  });
});
