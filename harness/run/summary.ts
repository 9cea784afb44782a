import { readJsonl } from "../../src/foundation/store/jsonl.ts";
import { writeFileAtomic } from "../../src/foundation/store/atomic-file.ts";
import type { RunConfig } from "./run-config.ts";
import { type ErrorCategory, RunEvent } from "./run-events.ts";
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
 * errors by what is true of them — the machine failed (run again), the image is missing, the
 * agent crashed, the patch does not apply, the evaluation failed — each with its phase and reason.
 */
export async function writeSummary(
  layout: RunLayout,
  input: {
    config: Pick<RunConfig, "runId" | "dataset" | "predictions" | "modelName" | "grading">;
    rows: readonly TaskRow[];
    report: RunReport;
  },
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
  for (const [repo, entry] of [...byRepo].sort())
    lines.push(`| ${repo} | ${entry.resolved} | ${entry.total} | ${percent(entry.resolved, entry.total)} |`);

  lines.push(...integritySummaryLines(runIntegrityFindings(layout.root, rows), resolved));

  // Errors of the report, and instances that ended on an error without one (an agent crash
  // leaves no prediction, so the official report counts it as incomplete, not as an error).
  const errorIds = new Set([...ids(report, "error_ids"), ...[...finalErrors.keys()].filter((id) => !resolved.has(id))]);
  const errors = [...errorIds].sort().map((id) => ({ id, detail: finalErrors.get(id) }));
  const section = (title: string, explanation: string, list: typeof errors) => {
    if (list.length === 0) return;
    lines.push(
      "",
      `## ${title} (${list.length})`,
      "",
      explanation,
      "",
      "| instance | phase | kind | reason |",
      "| --- | --- | --- | --- |",
    );
    for (const { id, detail } of list) {
      const reason = (detail?.message ?? "no report.json and no error recorded").replace(/\s+/g, " ").replaceAll("|", "\\|").slice(0, 200);
      lines.push(`| ${id} | ${detail?.phase ?? "–"} | ${detail?.kind ?? "unfinished"} | ${reason} |`);
    }
  };
  const inCategory = (category: ErrorCategory) => errors.filter((e) => e.detail?.category === category);
  section(
    "Infrastructure errors",
    "The Docker engine or a container failed, and kept failing after retries. Run the same command again to finish these.",
    inCategory("infrastructure"),
  );
  section(
    "Images not available",
    "The instance image does not exist or could not be pulled: check the image name (the dataset's `image` column, `--image-template`) and the registry. The official harness counts these as errors too.",
    inCategory("image"),
  );
  section(
    "Agent crashes",
    "The agent episode crashed (a fault of the harness or its tools, not of the model): there is no patch to grade.",
    inCategory("agent"),
  );
  section(
    "Patches that do not apply",
    "Counted as errors by the official harness too: none of `git apply`, `git apply --reject` and `patch --fuzz` applied the patch.",
    inCategory("patch"),
  );
  section(
    "Evaluation errors",
    "Counted as errors by the official harness too: eval.sh timed out, or its test log could not be graded.",
    inCategory("evaluation"),
  );
  // No recorded error (e.g. a run killed mid-grading): finishing it is a matter of running again.
  section(
    "Unfinished",
    "No report.json and no recorded error: the run stopped before grading these. Run the same command again to finish them.",
    errors.filter((e) => e.detail === undefined),
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
