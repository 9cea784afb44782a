import { CliUsageError, printError } from "./cli-error.ts";
import { EXIT, EXIT_CODES_HELP } from "./exit-codes.ts";

/** One thin module per subcommand, loaded on demand so `bottega --help` stays fast. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }> = {
  eval: { summary: "run the agent and/or grade predictions; write results/<run_id>/", load: () => import("./eval-command.ts") },
  run: { summary: "run the agent only; write predictions.jsonl and trajectories", load: () => import("./run-command.ts") },
  grade: { summary: "grade a test log (or re-grade a whole run) without Docker", load: () => import("./grade-command.ts") },
  images: { summary: "build the base and fixture images, or pull instance images", load: () => import("./images-command.ts") },
  status: { summary: "progress and results of a run, in progress or finished", load: () => import("./status-command.ts") },
  fix: {
    summary: "fix a bug in a local repository (or a SWE-bench instance) with the agent, in a container",
    load: () => import("./fix-command.ts"),
  },
  export: { summary: "export trajectories as fine-tuning data", load: () => import("./export-command.ts") },
  compare: {
    summary: "compare evaluation runs: rates, tested differences, flips, integrity flags",
    load: () => import("./compare-command.ts"),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`);
  return `usage: bottega <command> [options]\n\ncommands:\n${lines.join("\n")}\n\n'bottega <command> --help' shows a command's options.\n\n${EXIT_CODES_HELP}`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return name === undefined ? EXIT.usage : EXIT.finished;
  }
  const command = COMMANDS[name];
  if (!command) throw new CliUsageError(`unknown command "${name}"\n\n${usage()}`);
  return (await command.load()).run(rest);
}

let code: number;
try {
  code = await main(process.argv.slice(2));
} catch (error) {
  code = printError(error);
}
// Everything is on disk by now; a connection some library left open must not keep a finished
// run alive. (stdout and stderr are synchronous for files, pipes and terminals on Linux.)
process.exit(code);
