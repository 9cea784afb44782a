import type { EndpointRow, WorkerRow } from "../../../harness/run/run-stats.ts";

/** How run numbers read to a person, shared by the dashboard and `bottega status`. */

/** 45s, 3m12s, 1h02m, 2d03h. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, "0")}h`;
}

/** 0.364 → "36.4%"; "–" when there is nothing to divide yet. */
export function percent(fraction: number | undefined): string {
  return fraction === undefined ? "–" : `${(100 * fraction).toFixed(1)}%`;
}

/** Tokens per second: whole numbers once they are large, one decimal below 100. */
export function perSecond(rate: number | undefined): string {
  if (rate === undefined) return "–";
  return rate >= 100 ? Math.round(rate).toString() : rate.toFixed(1);
}

/** "a 3, b 1" from counted items. */
export function counts(items: ReadonlyArray<{ label: string; count: number }>): string {
  return items.map((item) => `${item.label} ${item.count}`).join(", ");
}

/** What a worker row is doing: the agent's step, grading, or how much of the image is pulled. */
export function activity(row: WorkerRow): string {
  if (row.pool === "agent") return row.step === undefined ? "starting" : `step ${row.step}`;
  if (row.pool === "grade") return "grading";
  return row.pulled === undefined ? "pulling" : `${Math.floor(100 * row.pulled)}%`;
}

/** One model endpoint's figures on one line. */
export function endpointLine(e: EndpointRow): string {
  return (
    `${e.url} ${e.state === "down" ? "DOWN" : "up"} · ${e.episodes} episodes · ${e.requests} requests · ` +
    `${perSecond(e.completionPerSec)} tok/s · cached ${percent(e.cachedShare)} · ${e.errors} errors`
  );
}
