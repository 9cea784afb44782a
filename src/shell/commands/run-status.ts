import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { RunEvent } from "../../../harness/run/run-events.ts";
import { readRunJsonHead, type RunJsonHead } from "../../../harness/run/run-json-head.ts";
import { RunLayout } from "../../../harness/run/run-layout.ts";
import { runStats, type RunStats } from "../../../harness/run/run-stats.ts";
import { openSandboxBackend } from "../../foundation/sandbox/open-backend.ts";
import { ownerIsAlive } from "../../foundation/sandbox/owner.ts";
import { readJsonl } from "../../foundation/store/jsonl.ts";
import { activity, counts, duration, endpointLine, percent, perSecond } from "../dashboard/format.ts";
import { CliUsageError } from "./cli-error.ts";
import { eventLine } from "./event-line.ts";

/** Prints the status of a run: progress and results, or the same numbers as JSON. */
export async function showStatus(results: string, runId: string, json: boolean): Promise<void> {
  const layout = new RunLayout(results, runId);
  if (!existsSync(layout.events) && !existsSync(layout.runJson)) {
    throw new CliUsageError(`no run "${layout.runId}" in ${layout.resultsDir} (neither ${layout.events} nor ${layout.runJson} exists)`);
  }

  const runJson = runRecord(layout.runJson);
  const events = await readEvents(layout.events);
  const { state, reason } = await runState(layout.runId, events, runJson);
  // A run that is not running has no "now": its clocks stop at its last event.
  const lastEvent = events.at(-1);
  const now = state === "running" || !lastEvent ? Date.now() : Date.parse(lastEvent.t);
  const stats = runStats(events, { now, grading: runJson?.config.grade ?? true });

  if (json) console.log(JSON.stringify({ runId: layout.runId, state, reason, stats }, null, 2));
  else console.log(statusText(layout.runId, state, reason, stats));
}

/** A run folder file that is not what bottega writes. */
export class RunFolderError extends Error {
  constructor(
    readonly file: string,
    readonly expected: string,
    options?: ErrorOptions,
  ) {
    super(`${file}: expected ${expected}`, options);
    this.name = "RunFolderError";
  }
}

export type RunState = "running" | "finished" | "interrupted" | "stopped" | "unknown";

/** What status needs of run.json, when the run got as far as writing it. */
function runRecord(path: string): RunJsonHead | undefined {
  return existsSync(path) ? readRunJsonHead(path) : undefined;
}

async function readEvents(path: string): Promise<RunEvent[]> {
  return (await readJsonl(path)).map((line, index) => {
    const event = RunEvent.safeParse(line);
    if (!event.success) throw new RunFolderError(path, `a run event on line ${index + 1} (${event.error.issues[0]?.message})`);
    return event.data;
  });
}

/**
 * Whether the run's latest invocation is alive. run_finished settles it; without one, the
 * process recorded in run.json decides; runs that recorded none are judged by their containers,
 * which carry the owning process (an image pull has no container, hence "probably").
 */
async function runState(
  runId: string,
  events: readonly RunEvent[],
  runJson: RunJsonHead | undefined,
): Promise<{ state: RunState; reason: string }> {
  const lastStart = events.findLastIndex((e) => e.type === "run_started");
  const finished = events.slice(lastStart + 1).find((e) => e.type === "run_finished");
  if (finished) {
    return finished.interrupted
      ? { state: "interrupted", reason: `stopped with Ctrl-C at ${finished.t}` }
      : { state: "finished", reason: `finished at ${finished.t}` };
  }
  const owner = runJson?.owner;
  if (owner !== undefined) {
    const [host, pid] = owner.split(":");
    if (host !== hostname()) return { state: "unknown", reason: `its process ${pid} runs on host ${host}` };
    return ownerIsAlive(owner)
      ? { state: "running", reason: `process ${pid} is alive` }
      : { state: "stopped", reason: `process ${pid} is gone without finishing the run: it crashed or was killed` };
  }
  const owners = await containerOwners(runId);
  if (owners === undefined)
    return { state: "unknown", reason: "no run_finished event, no process recorded in run.json, and no Docker engine to ask" };
  const alive = owners.filter((o) => ownerIsAlive(o));
  if (alive.length > 0) return { state: "running", reason: `a live process owns its containers: ${alive[0]}` };
  return { state: "stopped", reason: "no run_finished event and no live container of this run: it probably crashed or was killed" };
}

/** Owners of this run's containers; undefined when no Docker engine answers. */
async function containerOwners(runId: string): Promise<string[] | undefined> {
  try {
    const sandboxes = await (await openSandboxBackend("docker")).list({ runId });
    return sandboxes.map((sandbox) => sandbox.owner ?? "");
  } catch {
    return undefined;
  }
}

function statusText(runId: string, state: RunState, reason: string, stats: RunStats): string {
  const kinds = (list: RunStats["errors"]) => counts(list.map((e) => ({ label: `${e.category}/${e.kind}`, count: e.count })));
  const sum = (list: RunStats["errors"]) => list.reduce((total, e) => total + e.count, 0);
  const running = stats.running.pull + stats.running.agent + stats.running.grade;
  const phases = (["pull", "agent", "grade"] as const)
    .filter((p) => stats.running[p] > 0)
    .map((p) => ({ label: p, count: stats.running[p] }));
  const eta = state !== "running" ? "" : stats.etaMs === undefined ? " · ETA –" : ` · ETA ${duration(stats.etaMs)}`;
  const errors = sum(stats.errors);
  const retries = sum(stats.retries);
  const t = stats.tokens;

  const lines = [
    `run ${runId}: ${state} (${reason})`,
    stats.startedAt ? `started ${stats.startedAt} · elapsed ${duration(stats.elapsedMs)}${eta}` : "no run_started event yet",
    [
      `${stats.done}/${stats.total} done${stats.doneEarlier > 0 ? ` (${stats.doneEarlier} by an earlier invocation)` : ""}`,
      state === "running" || running > 0
        ? `${running} ${state === "running" ? "running" : "cut short"}${phases.length > 0 ? ` (${counts(phases)})` : ""}`
        : "",
      `${stats.queued} queued${stats.awaitingGrade > 0 ? ` (${stats.awaitingGrade} awaiting grading)` : ""}`,
    ]
      .filter(Boolean)
      .join(" · "),
  ];
  if (stats.graded > 0 || stats.awaitingGrade > 0)
    lines.push(`resolved ${stats.resolved} of ${stats.graded} graded (${percent(stats.resolvedRate)})`);
  lines.push(
    `errors ${errors}${errors > 0 ? ` (${kinds(stats.errors)})` : ""} · retries ${retries}${retries > 0 ? ` (${kinds(stats.retries)})` : ""}`,
  );
  if (stats.agentExits.length > 0)
    lines.push(`agent exits: ${counts(stats.agentExits.map((e) => ({ label: e.exit_status, count: e.count })))}`);
  if (t.modelCalls > 0) {
    lines.push(
      `tok/s over ${duration(t.agentWallMs)} of agent time: completion ${perSecond(t.completionPerSec)} · prompt ${perSecond(t.promptPerSec)}` +
        ` · cached ${percent(t.cachedShare)} of prompt · ${t.modelCalls} calls`,
    );
  }
  if (stats.endpoints.length > 0) {
    lines.push("model endpoints:");
    for (const e of stats.endpoints) lines.push(`  ${endpointLine(e)}`);
  }
  if (stats.workers.length > 0) {
    lines.push(state === "running" ? "workers:" : "workers when it stopped:");
    for (const row of stats.workers) {
      lines.push(
        `  ${`${row.pool} ${row.slot ?? ""}`.padEnd(9)}${row.instance_id.padEnd(42)} ${activity(row).padEnd(10)} ${duration(row.runningMs)}`,
      );
    }
  }
  if (stats.recent.length > 0) lines.push("recent:", ...stats.recent.map((e) => `  ${eventLine(e)}`));
  return lines.join("\n");
}
