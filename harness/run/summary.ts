import { readJsonl } from "../../src/foundation/store/jsonl.ts";
import { writeFileAtomic } from "../../src/foundation/store/atomic-file.ts";
import type { RunConfig } from "./run-config.ts";
import { RunEvent } from "./run-events.ts";
import type { RunLayout } from "./run-layout.ts";
import type { RunReport } from "../grading/run-report.ts";
import { finalOutcomes } from "./run-state.ts";
import { integritySummaryLines, runIntegrityFindings } from "../compare/run-integrity.ts";
import type { TaskRow } from "../dataset/task-row.ts";

const ids = (report: RunReport, key: string) => (report[key] as readonly string[] | undefined) ?? [];

function percent(part: number, whole: number): string {
  return whole === 0 ? "–" : `${((100 * part) / whole).toFixed(1)}%`;
}

/**
 * summary.md: the run report for a person. Resolved rate, per-repository table, and the
 * errors split into infrastructure failures (retry the run) and evaluation errors (the
 * official harness would count them too), each with its reason.
 */
export async function writeSummary(
  layout: RunLayout,
  input: { config: Pick<RunConfig, "runId" | "dataset" | "predictions" | "modelName" | "grading">; rows: readonly TaskRow[]; report: RunReport },
): Promise<string> {
  const { config, rows, report } = input;
  const events = (await readJsonl(layout.events)).map((e) => RunEvent.parse(e));
  const { errors: finalErrors, agentExits } = finalOutcomes(events);
  const resolved = new Set(ids(report, "resolved_ids"));
  const total = rows.length;
  const lines = [
    `# Run ${config.runId}`,
    "",
    `- dataset: \`${config.dataset}\` (${total} instances)`,
    config.predictions ? `- predictions: \`${config.predictions}\`` : `- model: ${config.modelName ?? "(served model)"}`,
    `- grading: ${config.grading} semantics`,
    "",
    `**Resolved ${resolved.size} / ${total} (${percent(resolved.size, total)})**`,
    "",
    "| outcome | instances |",
    "| --- | --- |",
    `| resolved | ${report.resolved_instances} |`,
    `| unresolved | ${report.unresolved_instances} |`,
    `| empty patch | ${report.empty_patch_instances} |`,
    `| error | ${report.error_instances} |`,
    `| no prediction | ${ids(report, "incomplete_ids").length} |`,
    "",
    "## By repository",
    "",
    "| repository | resolved | total | rate |",
    "| --- | --- | --- | --- |",
  ];
  const byRepo = new Map<string, { resolved: number; total: number }>();
  for (const row of rows) {
    const entry = byRepo.get(row.repo) ?? { resolved: 0, total: 0 };
    entry.total++;
    if (resolved.has(row.instance_id)) entry.resolved++;
    byRepo.set(row.repo, entry);
  }
  for (const [repo, entry] of [...byRepo].sort()) lines.push(`| ${repo} | ${entry.resolved} | ${entry.total} | ${percent(entry.resolved, entry.total)} |`);

  lines.push(...integritySummaryLines(runIntegrityFindings(layout.root, rows), resolved));

  const errors = ids(report, "error_ids").map((id) => ({ id, detail: finalErrors.get(id) }));
  const section = (title: string, explanation: string, list: typeof errors) => {
    if (list.length === 0) return;
    lines.push("", `## ${title}`, "", explanation, "", "| instance | phase | kind | reason |", "| --- | --- | --- | --- |");
    for (const { id, detail } of list) {
      const reason = (detail?.message ?? "no report.json (the run was interrupted?)").replace(/\s+/g, " ").replaceAll("|", "\\|").slice(0, 200);
      lines.push(`| ${id} | ${detail?.phase ?? "–"} | ${detail?.kind ?? "unfinished"} | ${reason} |`);
    }
  };
  // No recorded error (e.g. a run killed mid-grading): finishing it is a matter of running again.
  const isInfra = (e: (typeof errors)[number]) => e.detail === undefined || e.detail.category === "infrastructure";
  section(
    "Infrastructure errors",
    "The engine, a container or an image pull failed (after retries). Run the same command again to finish these.",
    errors.filter(isInfra),
  );
  section(
    "Evaluation errors",
    "Counted as errors by the official harness too: the patch did not apply, eval.sh timed out, or the log could not be parsed.",
    errors.filter((e) => !isInfra(e)),
  );
  if (agentExits.size > 0) {
    const counts = new Map<string, number>();
    for (const status of agentExits.values()) counts.set(status, (counts.get(status) ?? 0) + 1);
    lines.push("", "## Agent episodes", "", "| exit status | episodes |", "| --- | --- |");
    for (const [status, count] of [...counts].sort((a, b) => b[1] - a[1])) lines.push(`| ${status} | ${count} |`);
    const abnormal = [...agentExits].filter(([, status]) => status !== "submitted").sort();
    if (abnormal.length > 0) {
      lines.push("", "Episodes that did not submit (their salvaged patches were graded all the same):", "");
      for (const [id, status] of abnormal) lines.push(`- ${id}: ${status}${resolved.has(id) ? " (resolved)" : ""}`);
    }
  }
  const text = lines.join("\n") + "\n";
  await writeFileAtomic(layout.summary, text);
  return text;
}
