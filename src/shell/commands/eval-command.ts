import { EXIT_CODES_HELP } from "./exit-codes.ts";
import { parseCommandFlags, type CommandSpec } from "./flag-table.ts";
import { EVAL_FLAGS } from "./run-flags.ts";

export const EVAL_COMMAND = {
  usage: "usage: bottega eval [--model-url URL | --predictions FILE|gold] [options]",
  description: `Runs the agent on each instance and grades its patch exactly as the official SWE-bench
harness would (pipelined per instance), or grades given predictions. Writes results/<run_id>/:
predictions.jsonl, trajectories/, logs/<instance_id>/ (patch.diff, eval.sh, test_output.txt,
report.json, run_instance.log), report.json (the official run report) and summary.md.

With neither --model-url nor --predictions, runs the bundled fixtures with a scripted model
that replays recorded episodes (no GPU, no model server): a demo of the whole pipeline.`,
  flags: EVAL_FLAGS,
  epilog: EXIT_CODES_HELP,
} satisfies CommandSpec<typeof EVAL_FLAGS>;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandFlags(argv, EVAL_COMMAND);
  if (!parsed) return 0;
  const v = parsed.values;
  // Loaded after the flags are parsed: --help must not pay for Docker, the model client or zod schemas.
  const [{ executeRun }, { runConfigFromFlags }] = await Promise.all([import("./execute-run.ts"), import("./run-config-from-flags.ts")]);
  const options = { allowChangedConfig: v["allow-changed-config"] === true };
  if (v.predictions !== undefined || v["model-url"] !== undefined || process.env.OPENAI_BASE_URL) {
    return (await executeRun("eval", argv, runConfigFromFlags(v, { grade: true }), options)).code;
  }
  const { startReplayModel } = await import("../replay-model.ts");
  const replay = await startReplayModel();
  try {
    console.log(`demo: the model is a replay of recorded episodes (${replay.source}), served at ${replay.url}; no real model runs.`);
    const config = runConfigFromFlags(v, { grade: true, modelURL: replay.url });
    return (await executeRun("eval", argv, config, options)).code;
  } finally {
    await replay.close();
  }
}
