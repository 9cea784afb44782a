import type { CompareReport } from "./compare-report.ts";
import { integrityLine } from "./markdown-report.ts";
import { interval, percent, points, pValue } from "./number-format.ts";

/** The few lines printed after a comparison: rates, the tested difference, flags, the gate. */
export function terminalSummary(report: CompareReport): string {
  const lines: string[] = [];
  const width = Math.max(...report.runs.map((r) => r.label.length));
  lines.push(`${report.instances_compared} instances compared`);
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  for (const ex of report.excluded) lines.push(`left out: ${ex.instance_ids.length} instances only in ${ex.run}`);
  for (const run of report.runs) {
    const flags = run.integrity.flagged > 0 ? `  integrity flags: ${run.integrity.flagged}` : "";
    const missing = run.status_counts.no_prediction > 0 ? `  no prediction: ${run.status_counts.no_prediction}` : "";
    lines.push(
      `  ${run.label.padEnd(width)}  ${String(run.resolved).padStart(4)}/${run.n}  ${percent(run.rate).padStart(6)}  95% ${interval(run.wilson)}${missing}${flags}`,
    );
  }
  for (const pair of report.pairs) {
    lines.push(
      `${pair.a} → ${pair.b}: ${points(pair.difference)} points ${interval(pair.bootstrap)}, +${pair.only_b} −${pair.only_a}, McNemar p = ${pValue(pair.mcnemar_p)}${pair.significant ? " (significant)" : ""}`,
    );
  }
  if (report.series) {
    const s = report.series;
    lines.push(
      `series: always solved ${s.always_solved.length}, never solved ${s.never_solved.length}, flip-floppers ${s.flip_floppers.length}`,
    );
  }
  for (const g of report.groups) {
    lines.push(
      `group ${g.name}: mean@${g.k} ${percent(g.mean_at_k)}, pass@${g.k} ${percent(g.pass_at.at(-1)!.value)}, flaky ${g.flaky.length}`,
    );
  }
  for (const gp of report.group_pairs) {
    lines.push(
      `${gp.a} → ${gp.b}: ${points(gp.difference)} points ${interval(gp.bootstrap)}, sign test p = ${pValue(gp.sign_test_p)}${gp.significant ? " (significant)" : ""}`,
    );
  }
  if (report.runs.length === 1) lines.push(integrityLine(report.runs[0]!).replaceAll("**", ""));
  if (report.gate) lines.push(`regression gate: ${report.gate.regressed ? "REGRESSED" : "passed"} — ${report.gate.reason}`);
  return lines.join("\n");
}
