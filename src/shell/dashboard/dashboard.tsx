import { Box, render, Static, Text } from "ink";
import { useEffect, useState } from "react";
import type { RunEvent } from "../../../harness/run/run-events.ts";
import { RunTally, type RunStats, type WorkerRow } from "../../../harness/run/run-stats.ts";
import { eventLine } from "../commands/event-line.ts";
import { activity, counts, duration, endpointLine, percent, perSecond } from "./format.ts";

export interface DashboardProps {
  /** Fed with the run's events by the caller; read on every redraw. */
  tally: RunTally;
  /** Epoch milliseconds (tests pass a fixed clock). */
  now?: () => number;
  /** Redraws on a timer rather than on every event, so a burst of events cannot flicker. */
  refreshMs?: number;
  /** Ctrl-C was pressed: no new work starts, the run's containers are being removed. */
  stopping?: boolean;
  /** At most this many worker rows, so the live region stays small on a big machine. */
  maxWorkerRows?: number;
  /** The terminal's width, when known; some terminals report 0. Without it ink's own width is used. */
  columns?: number;
}

const BAR_WIDTH = 30;

/** Used when the terminal reports no width: ink would otherwise lay out one character per line. */
const FALLBACK_COLUMNS = 80;

/**
 * The live view of a run: finished instances and errors scroll by above (ink's <Static>, written
 * once), and below them a small panel redrawn in place: progress, workers, errors, model speed.
 */
export function Dashboard({ tally, now = Date.now, refreshMs = 250, stopping = false, maxWorkerRows = 12, columns }: DashboardProps) {
  const width = columns === undefined ? undefined : columns > 0 ? columns : FALLBACK_COLUMNS;
  const [, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((tick) => tick + 1), refreshMs);
    return () => clearInterval(timer);
  }, [refreshMs]);

  const stats = tally.stats({ now: now() });
  if (stats.startedAt === undefined) return <Text dimColor>starting the run…</Text>;
  return (
    <>
      <Static items={tally.notable.slice()}>
        {(event, index) => (
          <Box key={index} width={width}>
            <NotableLine event={event} />
          </Box>
        )}
      </Static>
      <Box flexDirection="column" marginTop={1} width={width}>
        <Header stats={stats} stopping={stopping} />
        <Progress stats={stats} />
        {tally.grading && (
          <Text>
            resolved <Text color="green">{stats.resolved}</Text> of {stats.graded} graded ({percent(stats.resolvedRate)})
          </Text>
        )}
        <Workers rows={stats.workers} max={maxWorkerRows} />
        <Problems stats={stats} />
        <Model stats={stats} />
      </Box>
    </>
  );
}

function Header({ stats, stopping }: { stats: RunStats; stopping: boolean }) {
  const ended = stats.finishedAt === undefined ? undefined : stats.interrupted ? "interrupted" : "finished";
  const eta = ended ?? (stats.etaMs === undefined ? "ETA –" : `ETA ${duration(stats.etaMs)}`);
  return (
    <Text wrap="truncate">
      <Text bold>run {stats.runId}</Text> · elapsed {duration(stats.elapsedMs)} · {eta}
      {stopping && !ended && <Text color="yellow"> · stopping: no new work, removing this run's containers…</Text>}
    </Text>
  );
}

function Progress({ stats }: { stats: RunStats }) {
  const running = stats.running.pull + stats.running.agent + stats.running.grade;
  const cells = (n: number) => (stats.total === 0 ? 0 : Math.round((BAR_WIDTH * n) / stats.total));
  const done = cells(stats.done);
  const busy = Math.min(BAR_WIDTH - done, cells(running));
  const phases = (["pull", "agent", "grade"] as const)
    .filter((p) => stats.running[p] > 0)
    .map((p) => ({ label: p, count: stats.running[p] }));
  return (
    <>
      <Text wrap="truncate">
        <Text color="green">{"█".repeat(done)}</Text>
        <Text color="yellow">{"▓".repeat(busy)}</Text>
        <Text dimColor>{"░".repeat(BAR_WIDTH - done - busy)}</Text> {stats.done}/{stats.total} done
        {stats.doneEarlier > 0 && ` (${stats.doneEarlier} by an earlier invocation)`}
      </Text>
      <Text wrap="truncate">
        {running} running{phases.length > 0 && ` (${counts(phases)})`} · {stats.queued} queued
        {stats.awaitingGrade > 0 && ` (${stats.awaitingGrade} awaiting grading)`}
      </Text>
    </>
  );
}

function Workers({ rows, max }: { rows: readonly WorkerRow[]; max: number }) {
  if (rows.length === 0) return null;
  const shown = rows.slice(0, max);
  return (
    <Box flexDirection="column">
      {shown.map((row) => (
        <Text key={`${row.pool}:${row.slot ?? row.instance_id}`} wrap="truncate">
          {"  "}
          {`${row.pool} ${row.slot ?? ""}`.padEnd(9)}
          {row.instance_id.padEnd(42)} {activity(row).padEnd(10)} {duration(row.runningMs)}
        </Text>
      ))}
      {rows.length > max && <Text dimColor>{`  … and ${rows.length - max} more`}</Text>}
    </Box>
  );
}

function Problems({ stats }: { stats: RunStats }) {
  const label = (e: { category: string; kind: string }) => `${e.category}/${e.kind}`;
  const errors = stats.errors.reduce((sum, e) => sum + e.count, 0);
  const retries = stats.retries.reduce((sum, e) => sum + e.count, 0);
  return (
    <Text wrap="truncate">
      errors <Text color={errors > 0 ? "red" : undefined}>{errors}</Text>
      {errors > 0 && ` (${counts(stats.errors.map((e) => ({ label: label(e), count: e.count })))})`} · retries {retries}
      {retries > 0 && ` (${counts(stats.retries.map((e) => ({ label: label(e), count: e.count })))})`}
      {stats.agentExits.length > 0 && ` · exits ${counts(stats.agentExits.map((e) => ({ label: e.exit_status, count: e.count })))}`}
    </Text>
  );
}

function Model({ stats }: { stats: RunStats }) {
  const t = stats.tokens;
  if (t.modelCalls === 0) return null;
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        tok/s over {duration(t.agentWallMs)} of agent time: completion {perSecond(t.completionPerSec)} · prompt {perSecond(t.promptPerSec)}{" "}
        · cached {percent(t.cachedShare)} of prompt · {t.modelCalls} calls
      </Text>
      {stats.endpoints.map((e) => (
        <Text key={e.url} wrap="truncate" color={e.state === "down" ? "red" : undefined}>
          {"  "}
          {endpointLine(e)}
        </Text>
      ))}
    </Box>
  );
}

function NotableLine({ event }: { event: RunEvent }) {
  const line = eventLine(event) ?? "";
  const color =
    event.type === "error" ? (event.retrying ? "yellow" : "red") : event.type === "graded" && event.resolved ? "green" : undefined;
  return <Text color={color}>{line}</Text>;
}

export interface LiveDashboard {
  onEvent(event: RunEvent): void;
  /** Shows that Ctrl-C was received. */
  stopping(): void;
  /** Draws the final state and gives the terminal back. */
  close(): Promise<void>;
}

/** Mounts the dashboard on this process's terminal. */
export function mountDashboard(options: { grading: boolean }): LiveDashboard {
  const tally = new RunTally(options.grading);
  let stopping = false;
  // Ctrl-C stays a signal (the run's own handler stops the work), not ink's exit.
  const app = render(<Dashboard tally={tally} columns={process.stdout.columns} />, { exitOnCtrlC: false });
  return {
    onEvent: (event) => tally.add(event),
    stopping: () => {
      stopping = true;
      app.rerender(<Dashboard tally={tally} columns={process.stdout.columns} stopping />);
    },
    close: async () => {
      app.rerender(<Dashboard tally={tally} columns={process.stdout.columns} stopping={stopping} />);
      app.unmount();
      await app.waitUntilExit();
    },
  };
}
