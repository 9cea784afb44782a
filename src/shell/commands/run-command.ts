import { CliUsageError } from "./cli-error.ts";
import { EXIT_CODES_HELP } from "./exit-codes.ts";
import { parseCommandFlags, type CommandSpec } from "./flag-table.ts";
import { RUN_FLAGS } from "./run-flags.ts";

export const RUN_COMMAND = {
  usage: "usage: bottega run --model-url URL [options]",
  description: `Runs the agent on every instance and writes results/<run_id>/predictions.jsonl (SWE-bench
format, one line per finished episode) and trajectories/<instance_id>.json. No grading:
grade later with 'bottega eval --predictions results/<run_id>/predictions.jsonl'.`,
  flags: RUN_FLAGS,
  epilog: EXIT_CODES_HELP,
} satisfies CommandSpec<typeof RUN_FLAGS>;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandFlags(argv, RUN_COMMAND);
  if (!parsed) return 0;
  if (!parsed.values["model-url"] && !process.env.OPENAI_BASE_URL) {
    throw new CliUsageError("run needs --model-url (or OPENAI_BASE_URL); 'bottega run --help' lists the options.");
  }
  // Loaded after the flags are parsed: --help must not pay for Docker, the model client or zod schemas.
  const [{ executeRun }, { runConfigFromFlags }] = await Promise.all([import("./execute-run.ts"), import("./run-config-from-flags.ts")]);
  return (
    await executeRun("run", argv, runConfigFromFlags(parsed.values, { grade: false }), {
      allowChangedConfig: parsed.values["allow-changed-config"] === true,
    })
  ).code;
}
