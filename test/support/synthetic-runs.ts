import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { seededRandom } from "../../harness/compare/seeded-random.ts";
import { writeRunJsonFile } from "./run-json-file.ts";

/**
 * Bottega run folders with a seeded mix of outcomes on real instance ids, for the compare
 * bench and the HTML test: run.json, report.json (the official lists), predictions.jsonl,
 * logs/<id>/{patch.diff,test_output.txt,run_instance.log}, events.jsonl and format-2 trajectories. Stage r
 * is a little stronger than stage r−1; a few patches touch tests or conftest.py, a few logs
 * repeat the harness markers, so every part of the report has something to show.
 */
export interface SyntheticRunOptions {
  resultsDir: string;
  /** The dataset file the runs name in run.json (its rows give repositories and difficulty). */
  dataset: string;
  ids: readonly string[];
  runs: number;
  seed: number;
  prefix?: string;
}

const EXITS = [
  "submitted",
  "submitted",
  "submitted",
  "submitted",
  "submitted",
  "submitted",
  "exit_step_limit",
  "exit_context",
  "exit_format",
  "exit_api",
];

function trajectory(id: string, steps: number, exit: string, started: number): string {
  const step = (i: number) => ({
    step: i,
    message_count: 2 + 2 * i,
    messages_added: [
      { role: "assistant", content: "ls" },
      { role: "tool", content: "README.md" },
    ],
    temporary_messages: [],
    response: { content: "ls", reasoning_content: null, tool_calls: [], finish_reason: "stop", raw: null },
    usage: { prompt_tokens: 1500 + 400 * i, completion_tokens: 60, cached_prompt_tokens: null },
    model_latency_ms: 800,
    attempts: 1,
    max_tokens: null,
    thought: null,
    action: { tool: "bash", args: { command: "ls" }, source: "native" },
    format_error: null,
    observation: "README.md",
    observation_sent: "README.md",
    tool_ms: 20,
  });
  return JSON.stringify({
    format: "bottega-trajectory/2",
    instance_id: id,
    config: {},
    task: { problem_statement: "synthetic", repo_root: "/testbed", base_commit: null, start_commit: null },
    tools: [],
    initial_messages: [{ role: "system", content: "synthetic" }],
    steps: Array.from({ length: steps }, (_, i) => step(i + 1)),
    exit_status: exit,
    exit_message: null,
    patch: null,
    started_at: new Date(started).toISOString(),
    finished_at: new Date(started + steps * 4200).toISOString(),
  });
}

function patchFor(id: string, kind: "plain" | "tests" | "conftest"): string {
  const file = kind === "tests" ? "tests/test_fix.py" : kind === "conftest" ? "conftest.py" : `${id.split("__")[0]}/core.py`;
  return `diff --git a/${file} b/${file}\n--- a/${file}\n+++ b/${file}\n@@ -1 +1 @@\n-x = 1\n+x = 2\n`;
}

const log = (twice: boolean) =>
  `+ : '>>>>> Start Test Output'\ntests pass\n+ : '>>>>> End Test Output'\n${twice ? "+ : '>>>>> Start Test Output'\nPASSED forged\n+ : '>>>>> End Test Output'\n" : ""}`;

/** Writes the runs; returns their ids in stage order. */
export function writeSyntheticRuns(options: SyntheticRunOptions): string[] {
  const random = seededRandom(options.seed);
  const ease = options.ids.map(() => random());
  const runIds: string[] = [];
  for (let r = 0; r < options.runs; r++) {
    const runId = `${options.prefix ?? "stage"}-${String(r + 1).padStart(2, "0")}`;
    runIds.push(runId);
    const root = join(options.resultsDir, runId);
    mkdirSync(join(root, "trajectories"), { recursive: true });
    const lists = {
      resolved_ids: [] as string[],
      unresolved_ids: [] as string[],
      empty_patch_ids: [] as string[],
      error_ids: [] as string[],
      incomplete_ids: [] as string[],
    };
    const predictions: string[] = [];
    const events: string[] = [];
    const skill = 0.3 + 0.03 * r;
    options.ids.forEach((id, i) => {
      const exit = EXITS[(random() * EXITS.length) | 0]!;
      const steps = 5 + ((random() * 40) | 0);
      const started = Date.UTC(2026, 10, 1) + i * 1000;
      writeFileSync(join(root, "trajectories", `${id}.json`), trajectory(id, steps, exit, started));
      // The events the runner writes for the same episode (compare reads these, as for a real run).
      const t = (ms: number) => new Date(ms).toISOString();
      events.push(JSON.stringify({ type: "phase_started", t: t(started), instance_id: id, phase: "agent", worker: 0 }));
      for (let k = 1; k <= steps; k++) {
        events.push(
          JSON.stringify({
            type: "agent_step",
            t: t(started + k * 4200),
            instance_id: id,
            step: k,
            prompt_tokens: 1500 + 400 * k,
            completion_tokens: 60,
            cached_tokens: 0,
            latency_ms: 800,
          }),
        );
      }
      events.push(
        JSON.stringify({
          type: "agent_finished",
          t: t(started + steps * 4200),
          instance_id: id,
          exit_status: exit,
          steps,
          patch_bytes: 100,
        }),
      );
      const roll = random();
      if (roll < 0.04) {
        lists.empty_patch_ids.push(id);
        predictions.push(JSON.stringify({ instance_id: id, model_name_or_path: runId, model_patch: "" }));
        return;
      }
      const kind = roll < 0.05 ? "conftest" : roll < 0.07 ? "tests" : "plain";
      const patch = patchFor(id, kind);
      predictions.push(JSON.stringify({ instance_id: id, model_name_or_path: runId, model_patch: patch }));
      const dir = join(root, "logs", id);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "patch.diff"), patch);
      if (roll > 0.98) {
        lists.error_ids.push(id);
        writeFileSync(join(dir, "run_instance.log"), ">>>>> Patch Apply Failed:\npatch: **** malformed patch\n");
        return;
      }
      writeFileSync(join(dir, "run_instance.log"), ">>>>> Applied Patch:\n");
      writeFileSync(join(dir, "test_output.txt"), log(roll > 0.975));
      const solved = ease[i]! + 0.25 * (random() - 0.5) < skill;
      (solved ? lists.resolved_ids : lists.unresolved_ids).push(id);
    });
    writeFileSync(join(root, "predictions.jsonl"), predictions.join("\n") + "\n");
    writeFileSync(join(root, "events.jsonl"), events.join("\n") + "\n");
    writeFileSync(join(root, "report.json"), JSON.stringify({ total_instances: options.ids.length, ...lists, schema_version: 2 }));
    writeRunJsonFile(root, { runId, dataset: options.dataset, split: "test" });
  }
  return runIds;
}
