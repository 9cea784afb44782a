import { createWriteStream, existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { RunLayout } from "../../../harness/run/run-layout.ts";
import { chatRecord } from "../../../scaffold/chat-export.ts";
import { readTrajectory } from "../../../scaffold/trajectory.ts";
import { CliUsageError } from "./cli-error.ts";
import { parseFlags } from "./flags.ts";

const HELP = `usage: bottega export --run-id ID [--format chat-jsonl] [--resolved-only] [--output FILE] [--results DIR]

Writes one JSON line per finished episode of a run: {"messages": [...], "tools": [...],
"instance_id", "exit_status", "resolved"} — the conversation exactly as the model saw it, for
fine-tuning. --resolved-only keeps the episodes whose patch was graded resolved.
Default output: results/<run_id>/export.chat.jsonl`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseFlags(
    argv,
    { "run-id": { type: "string" }, format: { type: "string" }, "resolved-only": { type: "boolean" }, output: { type: "string" }, results: { type: "string" } },
    HELP,
  );
  if (!parsed) return 0;
  const v = parsed.values;
  if (!v["run-id"]) throw new CliUsageError(`export needs --run-id\n\n${HELP}`);
  if ((v.format ?? "chat-jsonl") !== "chat-jsonl") throw new CliUsageError(`--format: only chat-jsonl is supported, got "${v.format}"`);
  const layout = new RunLayout(v.results ?? "results", v["run-id"]);
  const dir = join(layout.root, "trajectories");
  if (!existsSync(dir)) throw new CliUsageError(`${dir} does not exist: was ${v["run-id"]} run with a model?`);
  const resolved = existsSync(layout.report) ? new Set<string>(JSON.parse(readFileSync(layout.report, "utf8")).resolved_ids) : undefined;
  if (v["resolved-only"] && !resolved) throw new CliUsageError(`--resolved-only needs ${layout.report}; grade the run first`);

  const output = v.output ?? join(layout.root, "export.chat.jsonl");
  const out = createWriteStream(output);
  let written = 0;
  let skipped = 0;
  for (const name of readdirSync(dir).filter((n) => n.endsWith(".json")).sort()) {
    const trajectory = readTrajectory(join(dir, name));
    const isResolved = resolved?.has(trajectory.instance_id);
    if (trajectory.exit_status === null || (v["resolved-only"] && !isResolved)) {
      skipped++;
      continue;
    }
    out.write(JSON.stringify(chatRecord(trajectory, resolved ? { resolved: isResolved } : {})) + "\n");
    written++;
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  console.log(`${written} episodes written to ${output}${skipped ? ` (${skipped} left out)` : ""}`);
  return 0;
}
