import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readRunJson } from "../harness/run/run-json.ts";
import { episodeConversation } from "../src/foundation/model/scripted/recorded-episodes.ts";
import { startFakeOpenAI } from "../src/foundation/model/scripted/server.ts";
import { runCli } from "./support/cli.ts";
import { fixtureSuite } from "./support/fixture-suite.ts";

/** `bottega eval` over several model endpoints, one of which dies in the middle of the run. */
const suite = fixtureSuite("endpoints");
const events = (runId: string) =>
  readFileSync(join(suite.results, runId, "events.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const evalArgs = (runId: string, ...extra: string[]) => [
  "eval",
  "--run-id",
  runId,
  "--results",
  suite.results,
  "--workers",
  "6",
  "--grade-workers",
  "3",
  ...extra,
];

describe("several model endpoints", () => {
  // Two full runs of the fixtures (agent and grading): slow on a busy machine.
  it("survives losing one mid-run: every episode finishes, only its episodes move, the report equals a single-endpoint run", {
    timeout: 900_000,
  }, async () => {
    const conversations = () => suite.rows.map((row) => episodeConversation(suite.episode(row), row.problem_statement));
    const single = await suite.serve(conversations(), { latencyMs: 100 });
    const reference = await runCli(evalArgs("one-endpoint", "--model-url", single.url));
    expect(reference.code, reference.stderr).toBe(0);

    const [a, b, c] = [
      await suite.serve(conversations(), { latencyMs: 100 }),
      await suite.serve(conversations(), { latencyMs: 100 }),
      await suite.serve(conversations(), { latencyMs: 100 }),
    ];
    // b dies once it has answered a few requests: its episodes are mid-way.
    let killed = false;
    const watch = setInterval(() => {
      if (!killed && b.requests.filter((r) => r.path === "/v1/chat/completions").length >= 6) {
        killed = true;
        void b.close();
      }
    }, 20);
    const result = await runCli(evalArgs("three-endpoints", "--model-url", a.url, "--model-url", `${b.url},${c.url}`)).finally(() =>
      clearInterval(watch),
    );
    expect(killed).toBe(true);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`model endpoint ${b.url} DOWN`);
    expect(readFileSync(join(suite.results, "three-endpoints", "report.json"), "utf8")).toBe(
      readFileSync(join(suite.results, "one-endpoint", "report.json"), "utf8"),
    );

    // Pinned: an episode's calls all go to one endpoint, except those that were on b when it died.
    const log = events("three-endpoints");
    const moved = log.filter((e) => e.type === "episode_moved");
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.every((e) => e.from === b.url && e.to !== b.url)).toBe(true);
    for (const id of suite.ids()) {
      const endpoints = log.filter((e) => e.type === "agent_step" && e.instance_id === id).map((e) => e.endpoint as string);
      const move = moved.find((e) => e.instance_id === id);
      if (!move) expect(new Set(endpoints).size, id).toBe(1);
      else
        expect(
          endpoints.filter((url, i) => url !== endpoints[i - 1]),
          id,
        ).toEqual(endpoints[0] === b.url ? [b.url, move.to] : [move.to]);
    }

    // The figures: in run.json and in `bottega status`.
    const figures = readRunJson(join(suite.results, "three-endpoints", "run.json")).endpoints!;
    expect(figures.map((f) => f.url)).toEqual([a.url, b.url, c.url]);
    expect(figures[1]!.state).toBe("down");
    expect(figures[1]!.moved_out).toBe(moved.length);
    expect(figures.reduce((sum, f) => sum + f.episodes, 0)).toBe(suite.rows.length + moved.length);
    expect(figures[0]!.requests).toBeGreaterThan(0);
    expect(figures[2]!.requests).toBeGreaterThan(0);
    const status = await runCli(["status", "--run-id", "three-endpoints", "--results", suite.results]);
    expect(status.stdout).toContain("model endpoints:");
    expect(status.stdout).toMatch(new RegExp(`${b.url.replaceAll(".", "\\.")} DOWN · \\d+ episodes · \\d+ requests`));
  });

  it("refuses endpoints that serve different models (exit 2)", async () => {
    const a = await suite.serve([], {});
    const other = await startFakeOpenAI({ model: "another-model", conversations: [] });
    const result = await runCli(evalArgs("mismatch", "--model-url", `${a.url},${other.url}`)).finally(() => other.close());
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/do not serve the same model: .*fake-model.*another-model/);
  });
});
