import { COMMAND_EXIT_CODES_HELP } from "./exit-codes.ts";
import { flagTable, parseCommandFlags } from "./flag-table.ts";

export const GRADE_COMMAND = {
  usage: `usage: bottega grade --dataset D --instance ID --log test_output.txt [--predictions P] [--grading v4|v5]
       bottega grade --run-id ID [--results DIR] [--grading v4|v5]`,
  description: `The first form prints the report.json the official harness would write for that test log
(byte for byte), without Docker. The prediction is looked up in --predictions when given;
otherwise the patch is taken to exist.
The second form re-grades every test_output.txt of a run and rewrites its report.json files,
the run report and summary.md (the official --rewrite_reports).`,
  flags: flagTable({
    dataset: {
      kind: "string",
      group: "one test log",
      placeholder: "D",
      help: "the dataset holding the instance",
      defaultText: "tasks/fixtures",
    },
    instance: { kind: "string", group: "one test log", placeholder: "ID", help: "the instance the log is of" },
    log: { kind: "string", group: "one test log", placeholder: "FILE", help: "the test output (test_output.txt)" },
    predictions: {
      kind: "string",
      group: "one test log",
      placeholder: "FILE",
      help: "where to look the prediction up",
      defaultText: "the patch is taken to exist",
    },
    "run-id": { kind: "string", group: "a whole run", placeholder: "ID", help: "re-grade this run" },
    results: { kind: "string", group: "a whole run", placeholder: "DIR", help: "where runs are written", default: "results" },
    grading: {
      kind: "string",
      group: "both",
      placeholder: "v4|v5",
      help: "grading semantics (a run: the one it was graded with)",
      default: "v4",
    },
  }),
  epilog: COMMAND_EXIT_CODES_HELP,
};

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandFlags(argv, GRADE_COMMAND);
  if (!parsed) return 0;
  // Loaded after the flags are parsed, so --help stays fast.
  const { grade } = await import("./grade-run.ts");
  return grade(parsed.values);
}
