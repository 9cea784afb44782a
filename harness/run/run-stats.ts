import type { ErrorCategory, RunEvent } from "./run-events.ts";

type Phase = "pull" | "agent" | "grade";

/** How an instance ended, in this invocation of the run or in an earlier one. */
type Outcome =
  | { outcome: "resolved" | "unresolved" | "empty_patch" | "agent_done" | "skipped" }
  | { outcome: "error"; category: ErrorCategory; kind: string };

interface Running {
  phase: Phase;
  since: number;
  worker?: number;
  step?: number;
  /** Share of the image pulled, from pull_progress. */
  pulled?: number;
}

export interface KindCount {
  category: ErrorCategory;
  kind: string;
  count: number;
}

/** What an agent or grading worker slot is doing, or an image pull (pulls have no slot). */
export interface WorkerRow {
  pool: Phase;
  /** The worker slot; undefined for pulls. */
  slot?: number;
  instance_id: string;
  /** The agent's latest step. */
  step?: number;
  /** Share of the image pulled so far. */
  pulled?: number;
  runningMs: number;
}

export interface TokenStats {
  prompt: number;
  completion: number;
  cached: number;
  modelCalls: number;
  /** Wall time during which at least one agent episode was running: the base of the rates. */
  agentWallMs: number;
  /** Completion tokens per second of agentWallMs, all workers together. */
  completionPerSec?: number;
  /** Prompt tokens per second of agentWallMs, all workers together. */
  promptPerSec?: number;
  /** cached / prompt: how much of the prompts the server's prefix cache served. */
  cachedShare?: number;
}

/** One model endpoint's share of the latest invocation, when the run has several. */
export interface EndpointRow {
  url: string;
  state: "up" | "down";
  /** Episodes that made calls there. */
  episodes: number;
  /** Model calls it answered. */
  requests: number;
  /** Requests to it that failed (5xx, timeouts, dropped or refused connections). */
  errors: number;
  prompt: number;
  completion: number;
  cached: number;
  /** Completion tokens per second of the run's agent wall time. */
  completionPerSec?: number;
  cachedShare?: number;
}

/**
 * The numbers a person watching a run wants. Outcomes (done, resolved, errors, agent exits)
 * count every instance of the run id, whichever invocation finished it; rates and activity
 * (running, retries, tokens, elapsed, ETA) are those of the latest invocation.
 */
export interface RunStats {
  runId?: string;
  total: number;
  /** Instances that are finished: graded or failed (eval), or their agent finished (agent-only runs). */
  done: number;
  /** Of done: finished by an earlier invocation of this run id (skipped when the latest started). */
  doneEarlier: number;
  running: Record<Phase, number>;
  /** Not done and not running; includes awaitingGrade. */
  queued: number;
  /** Of queued: the agent finished and its patch waits for a grading worker. */
  awaitingGrade: number;
  resolved: number;
  /** Resolved + unresolved. */
  graded: number;
  /** resolved / graded; undefined before the first grading. */
  resolvedRate?: number;
  /** Final errors, one per instance, most frequent first. */
  errors: KindCount[];
  /** Failures the runner is retrying (error events with retrying: true). */
  retries: KindCount[];
  agentExits: Array<{ exit_status: string; count: number }>;
  /** Busy agent and grading slots by slot number, then image pulls. */
  workers: WorkerRow[];
  tokens: TokenStats;
  /** Per model endpoint, in the order they were first seen; empty with a single endpoint. */
  endpoints: EndpointRow[];
  startedAt?: string;
  finishedAt?: string;
  interrupted: boolean;
  elapsedMs: number;
  /** Time left at the rate instances finished in the latest invocation; undefined before the first finish and after the run ended. */
  etaMs?: number;
  /** The latest notable events (finishes, errors, notes), oldest first. */
  recent: RunEvent[];
}

export interface RunStatsOptions {
  /** Epoch milliseconds; elapsed time and running durations are measured up to it. */
  now: number;
  /** Whether instances are done once graded (eval) or once their agent finished (`bottega run`). */
  grading: boolean;
  /** Instances in the run; default: the latest run_started's total. */
  total?: number;
  /** How many notable events `recent` keeps (default 5). */
  recent?: number;
}

const NOTABLE = new Set<RunEvent["type"]>(["agent_finished", "graded", "error", "note"]);

/**
 * Folds run events one at a time, so a live view can take a snapshot whenever it redraws
 * without folding the whole log again.
 */
export class RunTally {
  private runId?: string;
  private total = 0;
  private startedAt?: string;
  private finishedAt?: string;
  private interrupted = false;
  /** Outcomes of invocations before the latest run_started. */
  private readonly earlier = new Map<string, Outcome>();
  private readonly done = new Map<string, Outcome>();
  private doneEarlier = 0;
  /** Instances finished by the latest invocation itself: the ETA's rate. */
  private finishedHere = 0;
  private readonly running = new Map<string, Running>();
  private readonly awaitingGrade = new Set<string>();
  private readonly agentExits = new Map<string, string>();
  private readonly retries = new Map<string, KindCount>();
  private tokens = { prompt: 0, completion: 0, cached: 0, modelCalls: 0 };
  private endpoints = new Map<
    string,
    { up: boolean; episodes: Set<string>; requests: number; errors: number; prompt: number; completion: number; cached: number }
  >();
  private agentsBusy = 0;
  private agentBusySince = 0;
  private agentWallMs = 0;
  private readonly notableEvents: RunEvent[] = [];

  /** grading: whether instances are done once graded (eval) or once their agent finished (`bottega run`). */
  constructor(readonly grading: boolean) {}

  /** Every notable event so far (finishes, errors, notes), oldest first; only ever appended to. */
  get notable(): readonly RunEvent[] {
    return this.notableEvents;
  }

  add(event: RunEvent): void {
    const t = Date.parse(event.t);
    if (NOTABLE.has(event.type)) this.notableEvents.push(event);
    switch (event.type) {
      case "run_started":
        for (const [id, outcome] of this.done) this.earlier.set(id, outcome);
        this.done.clear();
        this.running.clear();
        this.awaitingGrade.clear();
        this.retries.clear();
        this.runId = event.run_id;
        this.total = event.total;
        this.startedAt = event.t;
        this.finishedAt = undefined;
        this.interrupted = false;
        this.doneEarlier = 0;
        this.finishedHere = 0;
        this.tokens = { prompt: 0, completion: 0, cached: 0, modelCalls: 0 };
        this.endpoints = new Map();
        this.agentsBusy = 0;
        this.agentWallMs = 0;
        break;
      case "skipped":
        this.leave(event.instance_id, t);
        if (!this.done.has(event.instance_id)) {
          this.done.set(event.instance_id, this.earlier.get(event.instance_id) ?? { outcome: "skipped" });
          this.doneEarlier++;
        }
        break;
      case "phase_started":
        this.leave(event.instance_id, t);
        this.running.set(event.instance_id, { phase: event.phase, since: t, worker: event.worker });
        if (event.phase === "agent" && this.agentsBusy++ === 0) this.agentBusySince = t;
        break;
      case "pull_progress": {
        const running = this.running.get(event.instance_id);
        if (running?.phase !== "pull" || event.total <= 0) break;
        // A finished pull waits for a worker: queued, not pulling.
        if (event.current >= event.total) this.leave(event.instance_id, t);
        else running.pulled = event.current / event.total;
        break;
      }
      case "agent_step": {
        this.tokens.prompt += event.prompt_tokens;
        this.tokens.completion += event.completion_tokens;
        this.tokens.cached += event.cached_tokens;
        this.tokens.modelCalls++;
        const running = this.running.get(event.instance_id);
        if (running) running.step = event.step;
        if (event.endpoint !== undefined) {
          const endpoint = this.endpoint(event.endpoint);
          endpoint.episodes.add(event.instance_id);
          endpoint.requests++;
          endpoint.prompt += event.prompt_tokens;
          endpoint.completion += event.completion_tokens;
          endpoint.cached += event.cached_tokens;
        }
        break;
      }
      case "endpoint_down":
      case "endpoint_up":
        this.endpoint(event.endpoint).up = event.type === "endpoint_up";
        break;
      case "endpoint_error":
        this.endpoint(event.endpoint).errors++;
        break;
      case "episode_moved":
        break;
      case "agent_finished":
        this.leave(event.instance_id, t);
        this.agentExits.set(event.instance_id, event.exit_status);
        // An empty patch is not graded (there is nothing to apply).
        if (!this.grading) this.finish(event.instance_id, { outcome: "agent_done" });
        else if (event.patch_bytes === 0) this.finish(event.instance_id, { outcome: "empty_patch" });
        else this.awaitingGrade.add(event.instance_id);
        break;
      case "graded":
        this.leave(event.instance_id, t);
        this.finish(event.instance_id, { outcome: event.resolved ? "resolved" : "unresolved" });
        break;
      case "error":
        this.leave(event.instance_id, t);
        if (event.retrying) {
          const key = `${event.category}/${event.kind}`;
          const entry = this.retries.get(key) ?? { category: event.category, kind: event.kind, count: 0 };
          entry.count++;
          this.retries.set(key, entry);
        } else {
          this.finish(event.instance_id, { outcome: "error", category: event.category, kind: event.kind });
        }
        break;
      case "run_finished":
        for (const id of [...this.running.keys()]) this.leave(id, t);
        this.finishedAt = event.t;
        this.interrupted = event.interrupted;
        break;
      case "note":
        break;
    }
  }

  stats(options: { now: number; total?: number; recent?: number }): RunStats {
    const end = this.finishedAt ? Date.parse(this.finishedAt) : options.now;
    const total = options.total ?? this.total;
    const running = { pull: 0, agent: 0, grade: 0 };
    for (const entry of this.running.values()) running[entry.phase]++;
    const busy = running.pull + running.agent + running.grade;

    let resolved = 0;
    let unresolved = 0;
    const errors = new Map<string, KindCount>();
    for (const entry of this.done.values()) {
      if (entry.outcome === "resolved") resolved++;
      else if (entry.outcome === "unresolved") unresolved++;
      else if (entry.outcome === "error") {
        const key = `${entry.category}/${entry.kind}`;
        const counted = errors.get(key) ?? { category: entry.category, kind: entry.kind, count: 0 };
        counted.count++;
        errors.set(key, counted);
      }
    }
    const exits = new Map<string, number>();
    for (const status of this.agentExits.values()) exits.set(status, (exits.get(status) ?? 0) + 1);

    const agentWallMs = this.agentWallMs + (this.agentsBusy > 0 ? end - this.agentBusySince : 0);
    const perSec = (tokens: number) => (agentWallMs > 0 ? tokens / (agentWallMs / 1000) : undefined);
    const elapsedMs = this.startedAt ? end - Date.parse(this.startedAt) : 0;
    const remaining = Math.max(0, total - this.done.size);
    const etaMs =
      this.finishedAt !== undefined || this.finishedHere === 0
        ? undefined
        : remaining === 0
          ? 0
          : (remaining * elapsedMs) / this.finishedHere;

    return {
      runId: this.runId,
      total,
      done: this.done.size,
      doneEarlier: this.doneEarlier,
      running,
      queued: Math.max(0, total - this.done.size - busy),
      awaitingGrade: this.awaitingGrade.size,
      resolved,
      graded: resolved + unresolved,
      resolvedRate: resolved + unresolved > 0 ? resolved / (resolved + unresolved) : undefined,
      errors: byCount([...errors.values()]),
      retries: byCount([...this.retries.values()]),
      agentExits: [...exits]
        .map(([exit_status, count]) => ({ exit_status, count }))
        .sort((a, b) => b.count - a.count || a.exit_status.localeCompare(b.exit_status)),
      workers: this.workerRows(end),
      endpoints: [...this.endpoints].map(([url, e]) => ({
        url,
        state: e.up ? "up" : "down",
        episodes: e.episodes.size,
        requests: e.requests,
        errors: e.errors,
        prompt: e.prompt,
        completion: e.completion,
        cached: e.cached,
        completionPerSec: perSec(e.completion),
        cachedShare: e.prompt > 0 ? e.cached / e.prompt : undefined,
      })),
      tokens: {
        ...this.tokens,
        agentWallMs,
        completionPerSec: perSec(this.tokens.completion),
        promptPerSec: perSec(this.tokens.prompt),
        cachedShare: this.tokens.prompt > 0 ? this.tokens.cached / this.tokens.prompt : undefined,
      },
      startedAt: this.startedAt,
      finishedAt: this.finishedAt,
      interrupted: this.interrupted,
      elapsedMs,
      etaMs,
      recent: this.notableEvents.slice(-(options.recent ?? 5)),
    };
  }

  private workerRows(end: number): WorkerRow[] {
    const order: Record<Phase, number> = { agent: 0, grade: 1, pull: 2 };
    return [...this.running]
      .map(([instance_id, r]) => ({ pool: r.phase, slot: r.worker, instance_id, step: r.step, pulled: r.pulled, runningMs: end - r.since }))
      .sort((a, b) => order[a.pool] - order[b.pool] || (a.slot ?? 0) - (b.slot ?? 0) || a.instance_id.localeCompare(b.instance_id));
  }

  private endpoint(url: string) {
    let entry = this.endpoints.get(url);
    if (!entry) {
      entry = { up: true, episodes: new Set(), requests: 0, errors: 0, prompt: 0, completion: 0, cached: 0 };
      this.endpoints.set(url, entry);
    }
    return entry;
  }

  /** The instance stopped running (or waiting for grading); an agent phase ending frees model time. */
  private leave(id: string, t: number): void {
    this.awaitingGrade.delete(id);
    const running = this.running.get(id);
    if (!running) return;
    this.running.delete(id);
    if (running.phase === "agent" && --this.agentsBusy === 0) this.agentWallMs += t - this.agentBusySince;
  }

  private finish(id: string, outcome: Outcome): void {
    if (!this.done.has(id)) this.finishedHere++;
    this.done.set(id, outcome);
  }
}

function byCount(list: KindCount[]): KindCount[] {
  return list.sort((a, b) => b.count - a.count || `${a.category}/${a.kind}`.localeCompare(`${b.category}/${b.kind}`));
}

/** The numbers of a run from its events, at time `now`. */
export function runStats(events: readonly RunEvent[], options: RunStatsOptions): RunStats {
  const tally = new RunTally(options.grading);
  for (const event of events) tally.add(event);
  return tally.stats(options);
}
