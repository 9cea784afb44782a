import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { RunLayout } from "../../../harness/run/run-layout.ts";
import { chatRecord } from "../../../scaffold/chat-export.ts";
import { predFile, toSweAgentTraj } from "../../../scaffold/export/swe-agent-traj.ts";
import { systemWithXmlTools, xmlChatRecord } from "../../../scaffold/export/xml-chat.ts";
import { writeFileAtomic } from "../../foundation/store/atomic-file.ts";
import { readTrajectory, type Trajectory } from "../../../scaffold/trajectory.ts";
import { CliUsageError } from "./cli-error.ts";
import type { FlagValues } from "./flag-table.ts";
import { FORMATS, type EXPORT_COMMAND, type Format } from "./export-command.ts";

/** Writes a run's finished episodes in the chosen format. */
export async function exportRun(v: FlagValues<typeof EXPORT_COMMAND.flags>): Promise<number> {
  const format = v.format as Format;
  if (!FORMATS.includes(format)) throw new CliUsageError(`--format: expected one of ${FORMATS.join(", ")}, got "${v.format}"`);
  const layout = new RunLayout(v.results, v["run-id"]!);
  const dir = join(layout.root, "trajectories");
  if (!existsSync(dir)) throw new CliUsageError(`${dir} does not exist: was ${v["run-id"]} run with a model?`);
  const resolved = existsSync(layout.report) ? new Set<string>(JSON.parse(readFileSync(layout.report, "utf8")).resolved_ids) : undefined;
  if (v["resolved-only"] && !resolved) throw new CliUsageError(`--resolved-only needs ${layout.report}; grade the run first`);

  const chosen: Array<{ trajectory: Trajectory; resolved: boolean | undefined }> = [];
  let skipped = 0;
  for (const name of readdirSync(dir)
    .filter((n) => n.endsWith(".json"))
    .sort()) {
    const trajectory = readTrajectory(join(dir, name));
    const isResolved = resolved?.has(trajectory.instance_id);
    if (trajectory.exit_status === null || (v["resolved-only"] && !isResolved)) {
      skipped++;
      continue;
    }
    chosen.push({ trajectory, resolved: isResolved });
  }
  const left = skipped ? ` (${skipped} left out)` : "";

  if (format === "swe-agent-traj") {
    const out = v.output ?? join(layout.root, "export.swe-agent");
    const modelNames = predictionModelNames(layout.predictions);
    const preds: Record<string, { model_name_or_path: string; instance_id: string; model_patch: string }> = {};
    for (const { trajectory } of chosen) {
      const id = trajectory.instance_id;
      const modelName = modelNames.get(id) ?? v["run-id"]!;
      mkdirSync(join(out, id), { recursive: true });
      await writeFileAtomic(join(out, id, `${id}.traj`), JSON.stringify(toSweAgentTraj(trajectory, { modelName }), null, 2));
      const pred = predFile(trajectory, modelName);
      await writeFileAtomic(join(out, id, `${id}.pred`), JSON.stringify(pred));
      preds[id] = { ...pred, model_patch: pred.model_patch ?? "" };
    }
    mkdirSync(out, { recursive: true });
    await writeFileAtomic(join(out, "preds.json"), JSON.stringify(preds, null, 2));
    console.log(`${chosen.length} trajectories written to ${out}${left}`);
    return 0;
  }

  const output = v.output ?? join(layout.root, format === "xml-chat" ? "export.xml-chat.jsonl" : "export.chat.jsonl");
  const out = createWriteStream(output);
  for (const { trajectory, resolved: isResolved } of chosen) {
    const extra = resolved ? { resolved: isResolved } : {};
    const record =
      format === "xml-chat" ? xmlChatRecord(trajectory, extra, { systemForTools: systemWithXmlTools }) : chatRecord(trajectory, extra);
    out.write(JSON.stringify(record) + "\n");
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  console.log(`${chosen.length} episodes written to ${output}${left}`);
  return 0;
}

/** model_name_or_path per instance, from the run's predictions. */
function predictionModelNames(path: string): Map<string, string> {
  const names = new Map<string, string>();
  if (!existsSync(path)) return names;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const prediction = JSON.parse(line) as { instance_id?: string; model_name_or_path?: string };
    if (prediction.instance_id && prediction.model_name_or_path) names.set(prediction.instance_id, prediction.model_name_or_path);
  }
  return names;
}
