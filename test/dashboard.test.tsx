import { render } from "ink-testing-library";
import { describe, expect, it, vi } from "vitest";
import { RunTally } from "../harness/run/run-stats.ts";
import { Dashboard } from "../src/shell/dashboard/dashboard.tsx";
import { agentStep, eventsFrom } from "./support/run-event-builders.ts";

const T0 = Date.parse("2025-01-01T12:00:00.000Z");
const at = eventsFrom(T0);
const clock = (sec: number) => () => T0 + sec * 1000;
const step = agentStep;

/** Four instances, two agent workers: A resolved, B in its agent, C pulling, D queued; 70 s in. */
const LIVE_RUN = [
  at(0, { type: "run_started", run_id: "r1", total: 4, todo: 4 }),
  at(10, { type: "phase_started", instance_id: "A", phase: "agent", worker: 0 }),
  at(10, { type: "phase_started", instance_id: "B", phase: "agent", worker: 1 }),
  at(20, step("A", 1, 1000, 100, 600)),
  at(30, step("B", 1, 2000, 300, 1400)),
  at(35, step("B", 2, 1000, 200, 1000)),
  at(40, { type: "agent_finished", instance_id: "A", exit_status: "submitted", steps: 1, patch_bytes: 50 }),
  at(40, { type: "phase_started", instance_id: "A", phase: "grade", worker: 0 }),
  at(60, { type: "graded", instance_id: "A", resolved: true }),
  at(62, { type: "phase_started", instance_id: "C", phase: "pull" }),
  at(64, { type: "pull_progress", instance_id: "C", current: 25, total: 100 }),
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

const frame = (app: ReturnType<typeof render>) => app.lastFrame() ?? "";

describe("Dashboard", () => {
  it("shows the run's numbers: header, progress, resolved, workers, errors, model speed, notable events", () => {
    const tally = new RunTally(true);
    for (const event of LIVE_RUN) tally.add(event);
    const app = render(<Dashboard tally={tally} now={clock(70)} />);
    const text = frame(app);
    app.unmount();

    expect(text).toContain("run r1 · elapsed 1m10s · ETA 3m30s"); // 3 left at one per 70 s
    expect(text).toContain("1/4 done");
    expect(text).toContain("2 running (pull 1, agent 1) · 1 queued");
    expect(text).toContain("resolved 1 of 1 graded (100.0%)");
    // per-worker table: agent slot 1 runs B at step 2 for a minute; C pulls again since 66 s
    expect(text).toMatch(/agent 1\s+B\s+step 2\s+1m00s/);
    expect(text).toMatch(/pull\s+C\s+pulling\s+4s/);
    expect(text).not.toMatch(/agent 0\s+A/); // A's agent finished and its grading too
    expect(text).toContain("errors 0 · retries 1 (infrastructure/engine 1) · exits submitted 1");
    // 600 completion and 4000 prompt tokens over 60 s with an agent running; 3000 of 4000 cached
    expect(text).toContain("tok/s over 1m00s of agent time: completion 10.0 · prompt 66.7 · cached 75.0% of prompt · 3 calls");
    // finishes and errors scroll above the panel
    expect(text).toContain("12:00:40 agent A submitted after 1 steps (patch 50 bytes)");
    expect(text).toContain("12:01:00 grade A RESOLVED");
    expect(text).toContain("12:01:05 pull  C ERROR infrastructure/engine (will retry): socket hang up");
  });

  it("redraws on its timer, not on every event", async () => {
    const tally = new RunTally(true);
    tally.add(LIVE_RUN[0]!);
    const app = render(<Dashboard tally={tally} now={clock(70)} refreshMs={50} />);
    expect(frame(app)).toContain("0/4 done");

    for (const event of LIVE_RUN.slice(1)) tally.add(event);
    expect(frame(app)).toContain("0/4 done");
    await vi.waitFor(() => expect(frame(app)).toContain("1/4 done"), { timeout: 2000, interval: 10 });
    expect(frame(app)).toContain("resolved 1 of 1 graded");
    app.unmount();
  });

  it("after a resume, counts earlier finishes as done, lists final errors by kind, and marks Ctrl-C", () => {
    const tally = new RunTally(true);
    const events = [
      at(0, { type: "run_started", run_id: "r2", total: 3, todo: 3 }),
      at(10, { type: "graded", instance_id: "A", resolved: false }),
      at(1000, { type: "run_started", run_id: "r2", total: 3, todo: 2 }),
      at(1000, { type: "skipped", instance_id: "A", reason: "already graded" }),
      at(1010, {
        type: "error",
        instance_id: "B",
        phase: "grade",
        category: "evaluation",
        kind: "patch_failed",
        message: "no hunk applied",
        retrying: false,
      }),
    ];
    for (const event of events) tally.add(event);
    const app = render(<Dashboard tally={tally} now={clock(1020)} stopping />);
    const text = frame(app);
    app.unmount();

    expect(text).toContain("run r2 · elapsed 20s · ETA 20s");
    expect(text).toContain("stopping: no new work");
    expect(text).toContain("2/3 done (1 by an earlier invocation)");
    expect(text).toContain("resolved 0 of 1 graded (0.0%)");
    expect(text).toContain("errors 1 (evaluation/patch_failed 1) · retries 0");
    expect(text).not.toContain("tok/s"); // no model calls in this invocation
  });

  it("says when the run has not started yet, and when it ended interrupted", () => {
    const tally = new RunTally(false);
    const app = render(<Dashboard tally={tally} now={clock(0)} stopping />);
    expect(frame(app)).toContain("starting the run…");
    tally.add(at(0, { type: "run_started", run_id: "r3", total: 2, todo: 2 }));
    tally.add(at(3, { type: "phase_started", instance_id: "A", phase: "agent", worker: 0 }));
    tally.add(at(9, { type: "run_finished", interrupted: true }));
    app.rerender(<Dashboard tally={tally} now={clock(60)} stopping />);
    const text = frame(app);
    app.unmount();
    expect(text).toContain("run r3 · elapsed 9s · interrupted");
    expect(text).not.toContain("stopping");
    expect(text).toContain("0 running · 2 queued");
    expect(text).not.toContain("resolved"); // an agent-only run grades nothing
  });

  it("keeps the worker table short on a big machine", () => {
    const tally = new RunTally(true);
    tally.add(at(0, { type: "run_started", run_id: "big", total: 30, todo: 30 }));
    for (let slot = 0; slot < 20; slot++)
      tally.add(at(1, { type: "phase_started", instance_id: `i${slot}`, phase: "grade", worker: slot }));
    const app = render(<Dashboard tally={tally} now={clock(2)} maxWorkerRows={5} />);
    const text = frame(app);
    app.unmount();
    expect(text).toMatch(/grade 4\s+i4/);
    expect(text).not.toMatch(/grade 5\s+i5/);
    expect(text).toContain("… and 15 more");
    expect(text).toContain("20 running (grade 20) · 10 queued");
  });
});

describe("Dashboard under a terminal that reports 0 columns", () => {
  it("lays out 80 columns, not one character per line", () => {
    const tally = new RunTally(true);
    for (const event of LIVE_RUN) tally.add(event);
    const app = render(<Dashboard tally={tally} now={clock(70)} columns={0} />);
    const lines = frame(app).split("\n");
    expect(lines.some((line) => line.includes("resolved 1 of 1 graded"))).toBe(true);
    expect(Math.max(...lines.map((line) => line.length))).toBeGreaterThan(40);
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(80);
    app.unmount();
  });
});
