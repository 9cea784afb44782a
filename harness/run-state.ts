import type { ErrorCategory, RunEvent } from "./run-events.ts";

/** Where one instance stands, folded from the run's events. */
export type InstanceState =
  | { state: "queued" }
  | { state: "running"; phase: "pull" | "agent" | "grade"; step?: number; since: string }
  | { state: "agent_done"; exit_status: string }
  | { state: "resolved" | "unresolved" }
  | { state: "skipped"; reason: string }
  | { state: "error"; phase: string; category: ErrorCategory; kind: string; message: string };

export interface RunTotals {
  tokensPrompt: number;
  tokensCompletion: number;
  tokensCached: number;
  modelCalls: number;
  modelLatencyMs: number;
  startedAt?: string;
  finishedAt?: string;
  interrupted: boolean;
}

/** Folds events into per-instance states (the last event wins) and run-wide totals. */
export function foldEvents(events: readonly RunEvent[]): {
  instances: Map<string, InstanceState>;
  /** How each instance's agent episode ended (the latest one). */
  agentExits: Map<string, string>;
  totals: RunTotals;
} {
  const instances = new Map<string, InstanceState>();
  const agentExits = new Map<string, string>();
  const totals: RunTotals = { tokensPrompt: 0, tokensCompletion: 0, tokensCached: 0, modelCalls: 0, modelLatencyMs: 0, interrupted: false };
  for (const event of events) {
    switch (event.type) {
      case "run_started":
        totals.startedAt ??= event.t;
        totals.finishedAt = undefined;
        totals.interrupted = false;
        break;
      case "run_finished":
        totals.finishedAt = event.t;
        totals.interrupted = event.interrupted;
        break;
      case "phase_started":
        instances.set(event.instance_id, { state: "running", phase: event.phase, since: event.t });
        break;
      case "agent_step": {
        totals.tokensPrompt += event.promptTokens;
        totals.tokensCompletion += event.completionTokens;
        totals.tokensCached += event.cachedTokens;
        totals.modelCalls += 1;
        totals.modelLatencyMs += event.latencyMs;
        const current = instances.get(event.instance_id);
        if (current?.state === "running") current.step = event.step;
        break;
      }
      case "agent_finished":
        instances.set(event.instance_id, { state: "agent_done", exit_status: event.exit_status });
        agentExits.set(event.instance_id, event.exit_status);
        break;
      case "graded":
        instances.set(event.instance_id, { state: event.resolved ? "resolved" : "unresolved" });
        break;
      case "skipped":
        // A resumed run skips what an earlier invocation finished: keep that outcome.
        if (!instances.has(event.instance_id)) instances.set(event.instance_id, { state: "skipped", reason: event.reason });
        break;
      case "error":
        if (!event.retrying) {
          instances.set(event.instance_id, { state: "error", phase: event.phase, category: event.category, kind: event.kind, message: event.message });
        }
        break;
      case "pull_progress":
      case "note":
        break;
    }
  }
  return { instances, agentExits, totals };
}
