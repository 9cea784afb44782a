import { CliUsageError } from "./cli-error.ts";
import { executeRun } from "./execute-run.ts";
import { parseFlags } from "./flags.ts";
import { RUN_FLAGS, RUN_FLAGS_HELP, runConfigFromFlags } from "./run-flags.ts";

const HELP = `usage: bottega run --model-url URL [options]

Runs the agent on every instance and writes results/<run_id>/predictions.jsonl (SWE-bench
format, one line per finished episode) and trajectories/<instance_id>.json. No grading:
grade later with 'bottega eval --predictions results/<run_id>/predictions.jsonl'.

${RUN_FLAGS_HELP}`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, RUN_FLAGS, HELP);
  if (!parsed) return 0;
  if (!parsed.values["model-url"] && !process.env.OPENAI_BASE_URL) throw new CliUsageError(`run needs --model-url (or OPENAI_BASE_URL)\n\n${HELP}`);
  const config = runConfigFromFlags(parsed.values, { grade: false });
  return (await executeRun("run", argv, config)).code;
}
