import { COMMAND_EXIT_CODES_HELP } from "./exit-codes.ts";
import { flagTable, parseCommandFlags } from "./flag-table.ts";

export const STATUS_COMMAND = {
  usage: "usage: bottega status --run-id ID [--results DIR] [--json]",
  description: `Progress and results of a run, in progress or finished, from results/<run_id>/events.jsonl:
instances done, running and queued, resolved rate, errors and retries, agent exit statuses,
what each worker is doing, model token rates, elapsed time and ETA.

The run is one of:
  running      its process is alive
  finished     it ran to the end
  interrupted  stopped with Ctrl-C; the same command resumes it
  stopped      its process died (crash, kill -9, reboot); the same command resumes it
  unknown      its process is on another host, or nothing tells`,
  flags: flagTable({
    "run-id": { kind: "string", group: "options", placeholder: "ID", help: "the run", required: true },
    results: { kind: "string", group: "options", placeholder: "DIR", help: "where runs are written", default: "results" },
    json: { kind: "boolean", group: "options", help: "the same numbers as one JSON object" },
  }),
  epilog: COMMAND_EXIT_CODES_HELP,
};

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandFlags(argv, STATUS_COMMAND);
  if (!parsed) return 0;
  // Loaded after the flags are parsed, so --help stays fast.
  const { showStatus } = await import("./run-status.ts");
  await showStatus(parsed.values.results, parsed.values["run-id"]!, parsed.values.json === true);
  return 0;
}
