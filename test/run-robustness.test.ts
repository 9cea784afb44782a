import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { TaskRow } from "../harness/dataset/task-row.ts";
import { Trajectory } from "../scaffold/trajectory.ts";
import { episodeConversation, replayTurn } from "../src/foundation/model/scripted/recorded-episodes.ts";
import { failFirst, rateLimited, serverError, stall, type Conversation, type ReplyTurn } from "../src/foundation/model/scripted/script.ts";
import type { FakeOpenAI } from "../src/foundation/model/scripted/server.ts";
import { runCli } from "./support/cli.ts";
import { fixtureSuite } from "./support/fixture-suite.ts";

/** Runs that survive: kill -9 and resume, Ctrl-C, a flaky or dead model server (hostile commands: red-team.test.ts). */
const suite = fixtureSuite("robust");
const ids = suite.ids;
const goldEpisode = (row: TaskRow) => suite.episode(row);
const serve = (conversations: Conversation[], latencyMs = 0) => suite.serve(conversations, { latencyMs });

const readJson = suite.readJson;
const events = (runId: string) =>
  readFileSync(join(suite.results, runId, "events.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
const containersOf = (runId: string) =>
  execFileSync("docker", ["ps", "-aq", "--filter", `label=bottega.run=${runId}`])
    .toString()
    .trim();
const evalArgs = (server: FakeOpenAI, runId: string, ...extra: string[]) => suite.evalArgs(server, runId, "--workers", "2", ...extra);

describe("a run killed with SIGKILL and started again", () => {
  // Three runs of the fixtures (reference, killed, resumed): minutes on a busy machine.
  it("finishes with the same reports as an uninterrupted run, no container left, nothing graded twice", { timeout: 400_000 }, async () => {
    // Slow replies, so the run is still busy when it is killed.
    const server = await serve(
      suite.rows.map((row) => episodeConversation(goldEpisode(row), row.problem_statement)),
      150,
    );
    const reference = await runCli(evalArgs(server, "reference"));
    expect(reference.code, reference.stderr).toBe(0);

    let killed = false;
    const first = await runCli(evalArgs(server, "killed"), {
      onStdout: (out, child) => {
        // Kill once two instances are graded and others are mid-episode.
        if (!killed && (out.match(/RESOLVED/g) ?? []).length >= 2) {
          killed = true;
          child.kill("SIGKILL");
        }
      },
    });
    expect(first.signal).toBe("SIGKILL");
    expect(existsSync(join(suite.results, "killed", "report.json"))).toBe(false);

    const second = await runCli(evalArgs(server, "killed"));
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/6 instances, [1-4] to do/);
    expect(readFileSync(join(suite.results, "killed", "report.json"), "utf8")).toBe(
      readFileSync(join(suite.results, "reference", "report.json"), "utf8"),
    );
    for (const id of ids()) expect(readJson("killed", "logs", id, "report.json")).toEqual(readJson("reference", "logs", id, "report.json"));
    expect(containersOf("killed")).toBe("");
    const gradedCount = new Map<string, number>();
    for (const e of events("killed")) if (e.type === "graded") gradedCount.set(e.instance_id, (gradedCount.get(e.instance_id) ?? 0) + 1);
    expect([...gradedCount.values()].every((n) => n === 1)).toBe(true);
    // predictions.jsonl holds one whole line per instance: nothing duplicated or torn.
    const predictions = readFileSync(join(suite.results, "killed", "predictions.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).instance_id);
    expect(predictions.sort()).toEqual(ids());

    // Resumed under settings that decide results: refused, the run left as it was.
    const runJson = join(suite.results, "killed", "run.json");
    const before = readFileSync(runJson, "utf8");
    const changed = await runCli(evalArgs(server, "killed", "--temperature", "0.7", "--max-steps", "7"));
    expect(changed.code).toBe(2);
    expect(changed.stderr).toContain("--temperature: 0 → 0.7");
    expect(changed.stderr).toMatch(/--max-steps: \d+ → 7/);
    expect(changed.stderr).toContain("--allow-changed-config");
    expect(readFileSync(runJson, "utf8")).toBe(before);
    // Allowed, and recorded; the first start is kept.
    const allowed = await runCli(evalArgs(server, "killed", "--temperature", "0.7", "--allow-changed-config"));
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout).toMatch(/6 instances, 0 to do/);
    const record = JSON.parse(readFileSync(runJson, "utf8"));
    expect(record.started_at).toBe(JSON.parse(before).started_at);
    expect(record.resumed.map((r: { changes: string[] }) => r.changes)).toEqual([[], ["model.sampling.temperature: 0 → 0.7"]]);
  });
});

/** A run of slow episodes sent `signal` once its first episodes have started. */
async function stoppedMidRun(runId: string, signal: NodeJS.Signals) {
  const server = await serve(
    suite.rows.map((row) => episodeConversation(goldEpisode(row), row.problem_statement)),
    300,
  );
  let sent = false;
  const result = await runCli(evalArgs(server, runId), {
    onStdout: (out, child) => {
      if (!sent && out.includes("agent") && out.includes("started")) {
        sent = true;
        setTimeout(() => child.kill(signal), 1500);
      }
    },
  });
  return { server, result };
}

describe("Ctrl-C", () => {
  it("stops new work, removes the run's containers and exits non-zero with a resume hint", async () => {
    const { server, result } = await stoppedMidRun("interrupted", "SIGINT");
    expect(result.code).toBe(130);
    expect(result.stderr).toContain("resume with: bottega eval");
    expect(result.stderr).toContain("--run-id interrupted");
    expect(containersOf("interrupted")).toBe("");
    // Nothing half-written: every trajectory on disk parses, every report.json is whole.
    for (const name of readdirSync(join(suite.results, "interrupted", "trajectories"))) {
      expect(() => Trajectory.parse(readJson("interrupted", "trajectories", name))).not.toThrow();
    }
    // Interrupted episodes left no prediction; the rest can be resumed to the end.
    const resumed = await runCli(evalArgs(server, "interrupted"));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readJson("interrupted", "report.json").resolved_ids).toEqual(ids());
  });
});

describe("a closed terminal (SIGHUP)", () => {
  it("stops the run as Ctrl-C does: its containers removed, exit 130", async () => {
    const { result } = await stoppedMidRun("hangup", "SIGHUP");
    expect(result.signal).toBeNull();
    expect(result.code).toBe(130);
    expect(containersOf("hangup")).toBe("");
  });
});

describe("a flaky model server", () => {
  it("retries 500s, 429s and stalls mid-run and still finishes every episode", async () => {
    const flaky = (turn: typeof replayTurn extends (...a: never[]) => infer R ? R : never, i: number) =>
      i === 1
        ? (request: Parameters<typeof turn>[0]) => failFirst(2, serverError(), turn(request) as ReplyTurn)
        : i === 2
          ? (request: Parameters<typeof turn>[0]) => failFirst(1, rateLimited(1), turn(request) as ReplyTurn)
          : i === 3
            ? (request: Parameters<typeof turn>[0]) => failFirst(1, stall(false, 4000), turn(request) as ReplyTurn)
            : turn;
    const server = await serve(
      suite.rows.map((row) => ({
        name: row.instance_id,
        match: row.problem_statement,
        turns: goldEpisode(row).actions.map(replayTurn).map(flaky),
      })),
    );
    const result = await runCli(evalArgs(server, "flaky", "--request-timeout", "2", "--workers", "3"));
    expect(result.code, result.stderr).toBe(0);
    expect(readJson("flaky", "report.json").resolved_ids).toEqual(ids());
    for (const id of ids()) {
      const steps = Trajectory.parse(readJson("flaky", "trajectories", `${id}.json`)).steps;
      expect(steps[1]!.attempts).toBe(3);
      expect(steps[2]!.attempts).toBe(2);
      expect(steps[3]!.attempts).toBe(2);
    }
  });

  it("ends episodes exit_api when the server stays down, and the run completes", async () => {
    const down = suite.rows.slice(0, 2).map(
      (row): Conversation => ({
        name: row.instance_id,
        match: row.problem_statement,
        turns: [failFirst(Infinity, serverError(), { type: "reply", content: "never" })],
      }),
    );
    const up = suite.rows.slice(2, 4).map((row) => episodeConversation(goldEpisode(row), row.problem_statement));
    const server = await serve([...down, ...up]);
    const instances = suite.rows
      .slice(0, 4)
      .map((r) => r.instance_id)
      .join(",");
    const result = await runCli(evalArgs(server, "down", "--instances", instances, "--max-attempts", "3"));
    expect(result.code, result.stderr).toBe(0);
    for (const row of suite.rows.slice(0, 2)) {
      expect(Trajectory.parse(readJson("down", "trajectories", `${row.instance_id}.json`)).exit_status).toBe("exit_api");
    }
    const report = readJson("down", "report.json");
    expect(report.empty_patch_ids).toEqual(
      suite.rows
        .slice(0, 2)
        .map((r) => r.instance_id)
        .sort(),
    );
    expect(report.resolved_ids).toEqual(
      suite.rows
        .slice(2, 4)
        .map((r) => r.instance_id)
        .sort(),
    );
    expect(readFileSync(join(suite.results, "down", "summary.md"), "utf8")).toMatch(/exit_api \| 2/);
  });
});
