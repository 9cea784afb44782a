import { COMMAND_EXIT_CODES_HELP } from "./exit-codes.ts";
import { flagTable, parseCommandFlags } from "./flag-table.ts";

export const FORMATS = ["chat-jsonl", "xml-chat", "swe-agent-traj"] as const;
export type Format = (typeof FORMATS)[number];

export const EXPORT_COMMAND = {
  usage: "usage: bottega export --run-id ID [--format FORMAT] [--resolved-only] [--output PATH] [--results DIR]",
  description: `Writes a run's finished episodes for the next training stage or for SWE-agent's tools.
--resolved-only keeps the episodes whose patch was graded resolved.

formats:
  chat-jsonl      (default) one JSON line per episode: {"messages", "tools", "instance_id",
                  "exit_status", "resolved"}, the conversation exactly as the model saw it.
                  Default output: results/<run_id>/export.chat.jsonl
  xml-chat        one JSON line per episode in SWE-agent's XML function-calling training format
                  (SWE-smith's ft_xml): assistant turns as text with <think> and <function=…>
                  blocks, tool results as user turns, no tools field.
                  Default output: results/<run_id>/export.xml-chat.jsonl
  swe-agent-traj  a folder of SWE-agent trajectories, <instance_id>/<instance_id>.traj (+ .pred)
                  and preds.json, for SWE-agent's inspector (sweagent inspector) and SWE-smith's
                  conversion (transform_to_ft --traj_dir OUT --eval_dir results/<run_id>/logs).
                  Default output: results/<run_id>/export.swe-agent/`,
  flags: flagTable({
    "run-id": { kind: "string", group: "options", placeholder: "ID", help: "the run", required: true },
    format: { kind: "string", group: "options", placeholder: FORMATS.join("|"), help: "what to write (see above)", default: "chat-jsonl" },
    "resolved-only": { kind: "boolean", group: "options", help: "only episodes graded resolved", default: false },
    output: { kind: "string", group: "options", placeholder: "PATH", help: "where to write", defaultText: "by format, see above" },
    results: { kind: "string", group: "options", placeholder: "DIR", help: "where runs are written", default: "results" },
  }),
  epilog: COMMAND_EXIT_CODES_HELP,
};

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandFlags(argv, EXPORT_COMMAND);
  if (!parsed) return 0;
  // Loaded after the flags are parsed, so --help stays fast.
  const { exportRun } = await import("./export-run.ts");
  return exportRun(parsed.values);
}
