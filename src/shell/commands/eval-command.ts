import { executeRun } from "./execute-run.ts";
import { parseFlags } from "./flags.ts";
import { startReplayModel } from "../replay-model.ts";
import { RUN_FLAGS, RUN_FLAGS_HELP, runConfigFromFlags } from "./run-flags.ts";

const HELP = `usage: bottega eval [--model-url URL | --predictions FILE|gold] [options]

Runs the agent on each instance and grades its patch exactly as the official SWE-bench
harness would (pipelined per instance), or grades given predictions. Writes results/<run_id>/:
predictions.jsonl, trajectories/, logs/<instance_id>/ (patch.diff, eval.sh, test_output.txt,
report.json, run_instance.log), report.json (the official run report) and summary.md.

With neither --model-url nor --predictions, runs the bundled fixtures with a scripted model
that replays recorded episodes (no GPU, no model server): a demo of the whole pipeline.

grading:
  --predictions FILE|gold   grade these (.json list or id→prediction map, .jsonl), or gold
  --grade-workers N         parallel gradings (default: 3/4 of the cores)
  --timeout S               seconds eval.sh may run (default 1800, as upstream)
  --eval-script generated|dataset
                            generate eval.sh with the v4.1.0 rules (default) or use the
                            dataset's eval_script column (SWE-bench v5 datasets)
  --reset-policy 539|v4.1.0|v5-dataset
                            how eval.sh resets files the test patch creates (default 539)
  --grading v4|v5           grading semantics (default v4, what published results used)
  --network MODE            network of grading containers (default bridge, as upstream; none)

${RUN_FLAGS_HELP}`;

const EVAL_FLAGS = {
  ...RUN_FLAGS,
  predictions: { type: "string" },
  "grade-workers": { type: "string" },
  timeout: { type: "string" },
  "eval-script": { type: "string" },
  "reset-policy": { type: "string" },
  grading: { type: "string" },
  network: { type: "string" },
} as const;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, EVAL_FLAGS, HELP);
  if (!parsed) return 0;
  const v = parsed.values;
  if (v.predictions !== undefined || v["model-url"] !== undefined || process.env.OPENAI_BASE_URL) {
    return (await executeRun("eval", argv, runConfigFromFlags(v, { grade: true }))).code;
  }
  const replay = await startReplayModel();
  try {
    console.log(`demo: the model is a replay of recorded episodes (${replay.source}), served at ${replay.url}; no real model runs.`);
    const config = runConfigFromFlags(v, { grade: true, modelURL: replay.url });
    return (await executeRun("eval", argv, config)).code;
  } finally {
    await replay.close();
  }
}
