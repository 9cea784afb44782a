import { describe, expect, it } from "vitest";
import { runStats } from "../harness/run/run-stats.ts";
import { agentStep, eventsFrom } from "./support/run-event-builders.ts";

const T0 = Date.parse("2025-01-01T12:00:00.000Z");
const at = eventsFrom(T0);
const now = (sec: number) => T0 + sec * 1000;
const step = agentStep;

describe("runStats", () => {
  it("counts a live eval run: done, running, queued, resolved, tokens, workers, ETA", () => {
    const events = [
      at(0, { type: "run_started", run_id: "r1", total: 4, todo: 4 }),
      at(0, { type: "phase_started", instance_id: "A", phase: "pull" }),
      at(10, { type: "phase_started", instance_id: "A", phase: "agent", worker: 0 }),
      at(10, { type: "phase_started", instance_id: "B", phase: "agent", worker: 1 }),
      at(20, step("A", 1, 1000, 100, 600)),
      at(30, step("B", 1, 2000, 300, 1400)),
      at(40, { type: "agent_finished", instance_id: "A", exit_status: "submitted", steps: 1, patch_bytes: 50 }),
      at(40, { type: "phase_started", instance_id: "A", phase: "grade", worker: 0 }),
      at(60, { type: "graded", instance_id: "A", resolved: true }),
      at(62, { type: "phase_started", instance_id: "C", phase: "pull" }),
      at(64, { type: "pull_progress", instance_id: "C", current: 25, total: 100 }),
    ];
    const stats = runStats(events, { now: now(70), grading: true });
    expect(stats).toMatchObject({
      runId: "r1",
      total: 4,
      done: 1,
      doneEarlier: 0,
      running: { pull: 1, agent: 1, grade: 0 },
      queued: 1,
      awaitingGrade: 0,
      resolved: 1,
      graded: 1,
      resolvedRate: 1,
      errors: [],
      retries: [],
      agentExits: [{ exit_status: "submitted", count: 1 }],
      elapsedMs: 70_000,
      // 3 instances left at one per 70 s
      etaMs: 210_000,
      interrupted: false,
    });
    expect(stats.workers).toEqual([
      { pool: "agent", slot: 1, instance_id: "B", step: 1, pulled: undefined, runningMs: 60_000 },
      { pool: "pull", slot: undefined, instance_id: "C", step: undefined, pulled: 0.25, runningMs: 8_000 },
    ]);
    // Agents ran from 10 s to 70 s (B still runs): 60 s of model time for 400 completion tokens.
    expect(stats.tokens).toEqual({
      prompt: 3000,
      completion: 400,
      cached: 2000,
      modelCalls: 2,
      agentWallMs: 60_000,
      completionPerSec: 400 / 60,
      promptPerSec: 50,
      cachedShare: 2000 / 3000,
    });
    expect(stats.recent.map((e) => e.type)).toEqual(["agent_finished", "graded"]);
  });

  it("has no ETA and no token rates before anything finished", () => {
    const stats = runStats(
      [
        at(0, { type: "run_started", run_id: "r", total: 2, todo: 2 }),
        at(5, { type: "phase_started", instance_id: "A", phase: "grade", worker: 0 }),
      ],
      { now: now(30), grading: true },
    );
    expect(stats.etaMs).toBeUndefined();
    expect(stats.resolvedRate).toBeUndefined();
    expect(stats.tokens.completionPerSec).toBeUndefined();
    expect(stats.tokens.cachedShare).toBeUndefined();
    expect(stats).toMatchObject({ done: 0, running: { pull: 0, agent: 0, grade: 1 }, queued: 1, elapsedMs: 30_000 });
  });

  it("counts a resumed run's skipped instances as done with their earlier outcome, but not in the ETA rate", () => {
    const events = [
      // first invocation: A resolved, then the process died with B in its agent phase
      at(0, { type: "run_started", run_id: "r2", total: 3, todo: 3 }),
      at(10, { type: "phase_started", instance_id: "A", phase: "grade", worker: 0 }),
      at(100, { type: "graded", instance_id: "A", resolved: true }),
      at(100, { type: "phase_started", instance_id: "B", phase: "agent", worker: 0 }),
      at(150, step("B", 1, 500, 50, 0)),
      // second invocation
      at(1000, { type: "run_started", run_id: "r2", total: 3, todo: 2 }),
      at(1000, { type: "skipped", instance_id: "A", reason: "already graded" }),
      at(1000, { type: "phase_started", instance_id: "B", phase: "agent", worker: 0 }),
      at(1060, { type: "agent_finished", instance_id: "B", exit_status: "submitted", steps: 3, patch_bytes: 10 }),
      at(1060, { type: "phase_started", instance_id: "B", phase: "grade", worker: 0 }),
      at(1120, { type: "graded", instance_id: "B", resolved: false }),
    ];
    const stats = runStats(events, { now: now(1180), grading: true });
    expect(stats).toMatchObject({
      total: 3,
      done: 2,
      doneEarlier: 1,
      running: { pull: 0, agent: 0, grade: 0 },
      queued: 1,
      resolved: 1,
      graded: 2,
      resolvedRate: 0.5,
      elapsedMs: 180_000,
      // one instance finished in 180 s by this invocation (A was skipped): 1 left → 180 s
      etaMs: 180_000,
      workers: [],
    });
    // The first invocation's tokens and agent time are not this invocation's rate.
    expect(stats.tokens).toMatchObject({ prompt: 0, completion: 0, modelCalls: 0, agentWallMs: 60_000, completionPerSec: 0 });
  });

  it("tells final errors from retries, and in an agent-only run an instance is done when its agent finishes", () => {
    const events = [
      at(0, { type: "run_started", run_id: "r3", total: 3, todo: 3 }),
      at(0, { type: "phase_started", instance_id: "A", phase: "agent", worker: 0 }),
      at(0, { type: "phase_started", instance_id: "B", phase: "agent", worker: 1 }),
      at(1, {
        type: "error",
        instance_id: "C",
        phase: "pull",
        category: "infrastructure",
        kind: "image_unavailable",
        message: "404",
        retrying: false,
      }),
      at(5, {
        type: "error",
        instance_id: "A",
        phase: "agent",
        category: "infrastructure",
        kind: "exit_env",
        message: "gone",
        retrying: true,
      }),
      at(7, { type: "phase_started", instance_id: "A", phase: "agent", worker: 0 }),
      at(20, { type: "agent_finished", instance_id: "A", exit_status: "exit_format", steps: 4, patch_bytes: 0 }),
      at(30, { type: "agent_finished", instance_id: "B", exit_status: "submitted", steps: 9, patch_bytes: 120 }),
      at(40, { type: "run_finished", interrupted: false }),
    ];
    const stats = runStats(events, { now: now(500), grading: false });
    expect(stats).toMatchObject({
      done: 3,
      running: { pull: 0, agent: 0, grade: 0 },
      queued: 0,
      awaitingGrade: 0,
      graded: 0,
      errors: [{ category: "infrastructure", kind: "image_unavailable", count: 1 }],
      retries: [{ category: "infrastructure", kind: "exit_env", count: 1 }],
      agentExits: [
        { exit_status: "exit_format", count: 1 },
        { exit_status: "submitted", count: 1 },
      ],
      // finished: elapsed stops at run_finished and there is no ETA
      elapsedMs: 40_000,
      etaMs: undefined,
      finishedAt: new Date(now(40)).toISOString(),
    });
    expect(stats.recent.map((e) => e.type)).toEqual(["error", "error", "agent_finished", "agent_finished"]);
    // B ran 0–30 s, overlapping A: 30 s with an agent running
    expect(stats.tokens.agentWallMs).toBe(30_000);
  });

  it("in an eval run, a patch waits for grading (queued) unless it is empty (done)", () => {
    const events = [
      at(0, { type: "run_started", run_id: "r4", total: 3, todo: 3 }),
      at(0, { type: "phase_started", instance_id: "A", phase: "agent", worker: 0 }),
      at(0, { type: "phase_started", instance_id: "B", phase: "agent", worker: 1 }),
      at(10, { type: "agent_finished", instance_id: "A", exit_status: "submitted", steps: 2, patch_bytes: 300 }),
      at(20, { type: "agent_finished", instance_id: "B", exit_status: "exit_cost", steps: 2, patch_bytes: 0 }),
      at(21, { type: "phase_started", instance_id: "C", phase: "pull" }),
      // a finished pull waits for an agent worker
      at(25, { type: "pull_progress", instance_id: "C", current: 100, total: 100 }),
    ];
    const stats = runStats(events, { now: now(30), grading: true });
    expect(stats).toMatchObject({
      done: 1,
      running: { pull: 0, agent: 0, grade: 0 },
      queued: 2,
      awaitingGrade: 1,
      graded: 0,
      etaMs: 60_000,
    });
  });

  it("stops the clocks of a run interrupted with agents running", () => {
    const events = [
      at(0, { type: "run_started", run_id: "r5", total: 2, todo: 2 }),
      at(10, { type: "phase_started", instance_id: "A", phase: "agent", worker: 0 }),
      at(15, step("A", 1, 100, 40, 100)),
      at(30, { type: "run_finished", interrupted: true }),
    ];
    const stats = runStats(events, { now: now(999), grading: true });
    expect(stats).toMatchObject({ interrupted: true, done: 0, running: { agent: 0 }, queued: 2, elapsedMs: 30_000, etaMs: undefined });
    expect(stats.tokens).toMatchObject({ agentWallMs: 20_000, completionPerSec: 2, promptPerSec: 5, cachedShare: 1 });
  });

  it("takes the total from its caller when given", () => {
    const stats = runStats([at(0, { type: "run_started", run_id: "r", total: 2, todo: 2 })], { now: now(1), grading: true, total: 10 });
    expect(stats).toMatchObject({ total: 10, queued: 10 });
  });
});
