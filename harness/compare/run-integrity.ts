import { join } from "node:path";
import { integrityFindings, type IntegrityFinding } from "./integrity-flags.ts";
import { readIfExists } from "./instance-files.ts";

/** The integrity flags of every prediction of a run folder (results/<run_id>/), for summary.md. */
export function runIntegrityFindings(
  root: string,
  rows: ReadonlyArray<{ instance_id: string; test_patch: string }>,
): Array<IntegrityFinding & { instance_id: string }> {
  const patches = new Map<string, string>();
  for (const line of (readIfExists(join(root, "predictions.jsonl")) ?? "").split("\n")) {
    try {
      const p = JSON.parse(line) as { instance_id?: unknown; model_patch?: unknown };
      if (typeof p.instance_id === "string" && typeof p.model_patch === "string") patches.set(p.instance_id, p.model_patch);
    } catch {
      // blank or torn line
    }
  }
  const findings = [];
  for (const row of rows) {
    const testLog = readIfExists(join(root, "logs", row.instance_id, "test_output.txt"));
    const finding = integrityFindings({ patch: patches.get(row.instance_id) ?? null, testPatch: row.test_patch, testLog });
    if (finding.flags.length > 0) findings.push({ instance_id: row.instance_id, ...finding });
  }
  return findings;
}

/** summary.md's section: nothing when no prediction is flagged. */
export function integritySummaryLines(findings: ReturnType<typeof runIntegrityFindings>, resolved: ReadonlySet<string>): string[] {
  if (findings.length === 0) return [];
  const lines = [
    "",
    "## Integrity flags",
    "",
    "Predictions that touch tests, conftest.py or test configuration, or whose test log repeats the harness's markers: read these patches before believing the score.",
    "",
    "| instance | resolved | flags | files |",
    "| --- | --- | --- | --- |",
  ];
  for (const f of findings)
    lines.push(`| ${f.instance_id} | ${resolved.has(f.instance_id) ? "yes" : "no"} | ${f.flags.join(", ")} | ${f.files.join(", ")} |`);
  return lines;
}
