import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { RunEvent } from "../harness/run/run-events.ts";
import { currentOwner } from "../src/foundation/sandbox/owner.ts";
import { runCli } from "./support/cli.ts";
import { writeRunJsonFile } from "./support/run-json-file.ts";
import { agentStep, eventsFrom } from "./support/run-event-builders.ts";

const results = mkdtempSync(join(tmpdir(), "bottega-status-"));
afterAll(() => rmSync(results, { recursive: true, force: true }));

/** A pid no process has: the run's owner is gone. */
const DEAD_OWNER = `${hostname()}:999999999:12345`;

/** Writes results/<runId>/ by hand: run.json and events.jsonl (plus any raw text appended). */
function writeRun(runId: string, options: { owner?: string; grade?: boolean; events: RunEvent[]; tail?: string }) {
  const dir = join(results, runId);
  mkdirSync(dir, { recursive: true });
  writeRunJsonFile(
    dir,
    { runId, resultsDir: results, dataset: "tasks/fixtures", grade: options.grade ?? true },
    { model_name: "m", started_at: options.events[0]?.t ?? new Date(0).toISOString(), owner: options.owner },
  );
  writeFileSync(join(dir, "events.jsonl"), options.events.map((e) => JSON.stringify(e) + "\n").join("") + (options.tail ?? ""));
}

/** Four instances, 70 s in: A resolved, B in its agent at step 2, C pulling, D queued. */
function liveRun(t0: number): RunEvent[] {
  const at = eventsFrom(t0);
  const step = (id: string, n: number, prompt: number, completion: number, cached: number) =>
    at(20 + n, agentStep(id, n, prompt, completion, cached, 900));
  return [
    at(0, { type: "run_started", run_id: "x", total: 4, todo: 4 }),
    at(10, { type: "phase_started", instance_id: "A", phase: "agent", worker: 0 }),
    at(10, { type: "phase_started", instance_id: "B", phase: "agent", worker: 1 }),
    step("A", 1, 1000, 100, 600),
    step("B", 2, 3000, 500, 2400),
    at(40, { type: "agent_finished", instance_id: "A", exit_status: "submitted", steps: 1, patch_bytes: 50 }),
    at(40, { type: "phase_started", instance_id: "A", phase: "grade", worker: 0 }),
    at(60, { type: "graded", instance_id: "A", resolved: true }),
    at(62, { type: "phase_started", instance_id: "C", phase: "pull" }),
    at(65, {
      type: "error",
      instance_id: "C",
      phase: "pull",
      category: "infrastructure",
      kind: "engine",
      message: "socket hang up",
      retrying: true,
    }),
    at(66, { type: "phase_started", instance_id: "C", phase: "pull" }),
  ];
}

const status = (runId: string, ...flags: string[]) =>
  runCli(["status", "--run-id", runId, "--results", results, ...flags], { timeoutMs: 60_000 });

describe("bottega status", () => {
  it("reports a run whose process is alive as running, with its numbers up to now", async () => {
    const t0 = Date.now() - 70_000;
    writeRun("live", { owner: currentOwner(), events: liveRun(t0) });
    const json = await status("live", "--json");
    expect(json.stderr).toBe("");
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.state).toBe("running");
    expect(report.stats).toMatchObject({
      total: 4,
      done: 1,
      running: { pull: 1, agent: 1, grade: 0 },
      queued: 1,
      resolved: 1,
      graded: 1,
      resolvedRate: 1,
      errors: [],
      retries: [{ category: "infrastructure", kind: "engine", count: 1 }],
      agentExits: [{ exit_status: "submitted", count: 1 }],
      tokens: { prompt: 4000, completion: 600, cached: 3000, modelCalls: 2, cachedShare: 0.75 },
    });
    // measured up to the moment status ran: 3 instances left at one per elapsed
    expect(report.stats.elapsedMs).toBeGreaterThanOrEqual(70_000);
    expect(report.stats.elapsedMs).toBeLessThan(130_000);
    expect(report.stats.etaMs).toBe(3 * report.stats.elapsedMs);
    expect(
      report.stats.workers.map((w: { pool: string; slot?: number; instance_id: string }) => [w.pool, w.slot ?? null, w.instance_id]),
    ).toEqual([
      ["agent", 1, "B"],
      ["pull", null, "C"],
    ]);

    const text = await status("live");
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^run live: running \(process \d+ is alive\)/);
    expect(text.stdout).toContain("1/4 done · 2 running (pull 1, agent 1) · 1 queued");
    expect(text.stdout).toContain("resolved 1 of 1 graded (100.0%)");
    expect(text.stdout).toContain("errors 0 · retries 1 (infrastructure/engine 1)");
    expect(text.stdout).toMatch(/agent 1\s+B\s+step 2/);
    expect(text.stdout).toMatch(/ETA \d+m\d\ds/);
    expect(text.stdout).toContain("grade A RESOLVED");
  });

  it("tells a crashed run (no run_finished, its process gone) and stops its clocks at the last event", async () => {
    writeRun("crashed", { owner: DEAD_OWNER, events: liveRun(Date.parse("2025-01-01T12:00:00Z")) });
    const json = await status("crashed", "--json");
    const report = JSON.parse(json.stdout);
    expect(report.state).toBe("stopped");
    expect(report.reason).toContain("process 999999999 is gone");
    expect(report.stats).toMatchObject({ elapsedMs: 66_000, done: 1, resolved: 1 });
    expect(report.stats.tokens.agentWallMs).toBe(56_000); // agents ran from 10 s to the last event at 66 s

    const text = await status("crashed");
    expect(text.stdout).toContain("run crashed: stopped (process 999999999 is gone without finishing the run: it crashed or was killed)");
    expect(text.stdout).toContain("elapsed 1m06s\n"); // no ETA for a run that is not running
    expect(text.stdout).toContain("1/4 done · 2 cut short (pull 1, agent 1) · 1 queued");
    expect(text.stdout).toContain("workers when it stopped:");
  });

  it("tells finished from interrupted runs, and counts a resumed run's earlier finishes as done", async () => {
    const at = eventsFrom(Date.parse("2025-01-01T12:00:00Z"));
    const firstInvocation = [
      at(0, { type: "run_started", run_id: "resumed", total: 3, todo: 3 }),
      at(0, { type: "phase_started", instance_id: "A", phase: "agent", worker: 0 }),
      at(30, { type: "agent_finished", instance_id: "A", exit_status: "exit_context", steps: 40, patch_bytes: 10 }),
      at(30, { type: "phase_started", instance_id: "A", phase: "grade", worker: 0 }),
      at(50, { type: "graded", instance_id: "A", resolved: true }),
      at(55, { type: "run_finished", interrupted: true }),
    ];
    writeRun("resumed", { owner: DEAD_OWNER, events: firstInvocation });
    const interrupted = await status("resumed");
    expect(interrupted.stdout).toContain("run resumed: interrupted (stopped with Ctrl-C at 2025-01-01T12:00:55.000Z)");
    expect(interrupted.stdout).toContain("1/3 done · 2 queued");

    writeRun("resumed", {
      owner: DEAD_OWNER,
      events: [
        ...firstInvocation,
        at(100, { type: "run_started", run_id: "resumed", total: 3, todo: 2 }),
        at(100, { type: "skipped", instance_id: "A", reason: "already graded" }),
        at(100, { type: "phase_started", instance_id: "B", phase: "grade", worker: 0 }),
        at(120, {
          type: "error",
          instance_id: "B",
          phase: "grade",
          category: "evaluation",
          kind: "patch_failed",
          message: "no hunk",
          retrying: false,
        }),
        at(121, { type: "phase_started", instance_id: "C", phase: "grade", worker: 0 }),
        at(140, { type: "graded", instance_id: "C", resolved: false }),
        at(141, { type: "run_finished", interrupted: false }),
      ],
    });
    const finished = await status("resumed");
    expect(finished.stdout).toContain("run resumed: finished (finished at 2025-01-01T12:02:21.000Z)");
    expect(finished.stdout).toContain("elapsed 41s\n");
    expect(finished.stdout).toContain("3/3 done (1 by an earlier invocation) · 0 queued");
    expect(finished.stdout).toContain("resolved 1 of 2 graded (50.0%)");
    expect(finished.stdout).toContain("errors 1 (evaluation/patch_failed 1) · retries 0");
    expect(finished.stdout).toContain("agent exits: exit_context 1");
  });

  it("reads an agent-only run's episodes as done, and ignores a torn last line", async () => {
    const at = eventsFrom(Date.parse("2025-01-01T12:00:00Z"));
    writeRun("agent-only", {
      owner: DEAD_OWNER,
      grade: false,
      events: [
        at(0, { type: "run_started", run_id: "agent-only", total: 2, todo: 2 }),
        at(0, { type: "phase_started", instance_id: "A", phase: "agent", worker: 0 }),
        at(20, { type: "agent_finished", instance_id: "A", exit_status: "submitted", steps: 5, patch_bytes: 10 }),
      ],
      tail: '{"type":"agent_step","t":"2025-01-01T12:00:2',
    });
    const report = JSON.parse((await status("agent-only", "--json")).stdout);
    expect(report.stats).toMatchObject({ done: 1, awaitingGrade: 0, queued: 1, graded: 0, elapsedMs: 20_000 });
  });

  it("reads a run.json written before it was snake_case (its owner and its grade setting)", async () => {
    const at = eventsFrom(Date.parse("2025-01-01T12:00:00Z"));
    writeRun("camel-case", {
      events: [
        at(0, { type: "run_started", run_id: "camel-case", total: 2, todo: 2 }),
        at(20, { type: "agent_finished", instance_id: "A", exit_status: "submitted", steps: 5, patch_bytes: 10 }),
      ],
    });
    const config = { runId: "camel-case", resultsDir: results, dataset: "tasks/fixtures", predictions: "gold", grade: false };
    const older = { config, dataset: "tasks/fixtures", modelName: "m", owner: DEAD_OWNER, startedAt: "2025-01-01T12:00:00Z", node: "v20" };
    writeFileSync(join(results, "camel-case", "run.json"), JSON.stringify(older, null, 2));
    const report = JSON.parse((await status("camel-case", "--json")).stdout);
    expect(report).toMatchObject({ state: "stopped", stats: { done: 1, awaitingGrade: 0 } });
  });

  it("without an owner in run.json and no Docker engine to ask, says it cannot tell", async () => {
    writeRun("ownerless", { events: liveRun(Date.parse("2025-01-01T12:00:00Z")) });
    const result = await runCli(["status", "--run-id", "ownerless", "--results", results, "--json"], {
      env: { DOCKER_HOST: "unix:///nonexistent/docker.sock" },
      timeoutMs: 60_000,
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ state: "unknown", stats: { done: 1 } });
  });

  it("names what is wrong: an unknown run, a malformed event line", async () => {
    const missing = await status("no-such-run");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`no run "no-such-run" in ${results}`);

    const at = eventsFrom(Date.parse("2025-01-01T12:00:00Z"));
    writeRun("corrupt", {
      owner: DEAD_OWNER,
      events: [at(0, { type: "run_started", run_id: "corrupt", total: 1, todo: 1 })],
      tail: '{"type":"graded"}\n',
    });
    const corrupt = await status("corrupt");
    expect(corrupt.code).toBe(1);
    expect(corrupt.stderr).toContain(`${join(results, "corrupt", "events.jsonl")}: expected a run event on line 2`);
  });
});
