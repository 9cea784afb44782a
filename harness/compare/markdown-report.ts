import type { CompareReport, PairSection, RunSection } from "./compare-report.ts";
import { interval, maybe, percent, points, pValue } from "./number-format.ts";

const cell = (text: string) => text.replaceAll("|", "\\|").replace(/\s+/g, " ");
const link = (text: string, href: string | null) => (href === null ? text : `[${text}](${encodeURI(href)})`);

function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(" | ")} |`, `| ${header.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`)];
}

function runLines(run: RunSection): string[] {
  const lines = [
    `### ${run.label}`,
    "",
    `${run.kind.replaceAll("_", " ")} — \`${run.source}\``,
    "",
    `**Resolved ${run.resolved} / ${run.n} = ${percent(run.rate)}**, 95% Wilson ${interval(run.wilson)}, repository-cluster bootstrap ${interval(run.cluster_bootstrap)}`,
    "",
    ...table(
      ["resolved", "unresolved", "empty patch", "error", "no prediction", "empty-patch rate", "apply failures"],
      [
        [
          String(run.status_counts.resolved),
          String(run.status_counts.unresolved),
          String(run.status_counts.empty_patch),
          String(run.status_counts.error),
          String(run.status_counts.no_prediction),
          percent(run.empty_patch_rate),
          run.patch_apply_failures === null ? "unknown" : `${run.patch_apply_failures} (${percent(run.patch_apply_failure_rate!)})`,
        ],
      ],
    ),
  ];
  if (run.episodes > 0) {
    const exits = Object.entries(run.exit_statuses)
      .sort((a, b) => b[1] - a[1])
      .map(([s, k]) => `${s} ${k}`)
      .join(", ");
    lines.push(
      "",
      `Episodes: ${run.episodes} (${exits}). Per episode, median / p90: steps ${maybe(run.steps.median, 1)} / ${maybe(run.steps.p90, 1)}, ` +
        `tokens ${maybe(run.tokens.median)} / ${maybe(run.tokens.p90)}, wall ${maybe(run.wall_seconds.median, 1)} s / ${maybe(run.wall_seconds.p90, 1)} s`,
    );
  }
  if (run.no_prediction_ids.length > 0)
    lines.push(
      "",
      `No prediction (${run.no_prediction_ids.length}): ${run.no_prediction_ids.slice(0, 20).join(", ")}${run.no_prediction_ids.length > 20 ? ", …" : ""}`,
    );
  lines.push("", integrityLine(run));
  if (run.integrity.instances.length > 0) {
    lines.push(
      "",
      ...table(
        ["instance", "flags", "files"],
        run.integrity.instances.map((i) => [i.instance_id, i.flags.join(", "), i.files.join(", ")]),
      ),
    );
  }
  return lines;
}

export function integrityLine(run: RunSection): string {
  const i = run.integrity;
  if (i.flagged === 0) return `Integrity: no flags (${i.patches_checked} patches, ${i.logs_checked} test logs checked).`;
  const by = Object.entries(i.by_flag)
    .filter(([, k]) => k > 0)
    .map(([f, k]) => `${f} ${k}`)
    .join(", ");
  return `**Integrity: ${i.flagged} flagged (${i.flagged_resolved} of them resolved): ${by}** (${i.patches_checked} patches, ${i.logs_checked} test logs checked).`;
}

function refCell(ref: PairSection["gained"][number]["a"]): string {
  const links = [ref.trajectory && link("trajectory", ref.trajectory), ref.test_log && link("log", ref.test_log)].filter(Boolean);
  return [ref.status, ...links].join(" ");
}

function flipTable(list: PairSection["gained"], a: string, b: string): string[] {
  return table(
    ["instance", "repository", "difficulty", `${a}`, `${b}`],
    list.map((f) => [f.instance_id, f.repository, f.difficulty ?? "–", refCell(f.a), refCell(f.b)]),
  );
}

function pairLines(pair: PairSection): string[] {
  const lines = [
    `### ${pair.a} → ${pair.b}`,
    "",
    `**${percent(pair.a_rate)} → ${percent(pair.b_rate)}: ${points(pair.difference)} points**, paired bootstrap 95% ${interval(pair.bootstrap)}, ` +
      `exact McNemar p = ${pValue(pair.mcnemar_p)} (${pair.only_b} gained, ${pair.only_a} lost${pair.significant ? ", significant" : ", not significant"})`,
    "",
    ...table(
      ["", `${pair.b} resolved`, `${pair.b} not`],
      [
        [`${pair.a} resolved`, String(pair.both), String(pair.only_a)],
        [`${pair.a} not`, String(pair.only_b), String(pair.neither)],
      ],
    ),
  ];
  if (pair.gained_flagged.length > 0) lines.push("", `**Gained instances with integrity flags: ${pair.gained_flagged.join(", ")}**`);
  const breakdown = (title: string, rows: PairSection["by_repository"]) => [
    "",
    `#### ${title}`,
    "",
    ...table(
      ["", "total", pair.a, pair.b, "gained", "lost"],
      rows.map((r) => [
        r.key,
        String(r.total),
        `${r.a_resolved} (${percent(r.a_resolved / r.total)})`,
        `${r.b_resolved} (${percent(r.b_resolved / r.total)})`,
        String(r.gained),
        String(r.lost),
      ]),
    ),
  ];
  lines.push(...breakdown("By repository", pair.by_repository), ...breakdown("By difficulty", pair.by_difficulty));
  if (pair.gained.length > 0) lines.push("", `#### Gained (${pair.gained.length})`, "", ...flipTable(pair.gained, pair.a, pair.b));
  if (pair.lost.length > 0) lines.push("", `#### Lost (${pair.lost.length})`, "", ...flipTable(pair.lost, pair.a, pair.b));
  return lines;
}

/** compare.md: the whole report as Markdown, from compare.json's object. */
export function markdownReport(report: CompareReport): string {
  const title = report.runs.length === 1 ? `Run ${report.runs[0]!.label}` : `Comparison: ${report.runs.map((r) => r.label).join(" → ")}`;
  const lines = [
    `# ${title}`,
    "",
    `${report.instances_compared} instances compared. Rates are over ${report.settings.denominator}. Intervals 95%; bootstrap ${report.settings.resamples} resamples, seed ${report.settings.seed}; α = ${report.settings.alpha}.`,
  ];
  for (const warning of report.warnings) lines.push("", `> ${warning}`);
  for (const ex of report.excluded)
    lines.push(
      "",
      `> Left out (not in every run): ${ex.instance_ids.length} instances of ${ex.run}: ${ex.instance_ids.slice(0, 10).join(", ")}${ex.instance_ids.length > 10 ? ", …" : ""}`,
    );
  if (report.gate)
    lines.push(
      "",
      `**Regression gate (${report.gate.baseline} → ${report.gate.candidate}): ${report.gate.regressed ? "REGRESSED" : "passed"}** — ${report.gate.reason}`,
    );
  if (report.series) {
    const s = report.series;
    lines.push(
      "",
      "## Trend",
      "",
      ...table(
        ["stage", "resolved", "rate", "95% interval", "change", "McNemar p", "gained", "lost"],
        s.stages.map((st) => [
          st.label,
          String(st.resolved),
          percent(st.rate),
          interval(st.wilson),
          st.change === null ? "–" : points(st.change),
          st.mcnemar_p === null ? "–" : `${pValue(st.mcnemar_p)}${st.significant ? " *" : ""}`,
          st.gained === null ? "–" : String(st.gained),
          st.lost === null ? "–" : String(st.lost),
        ]),
      ),
    );
    lines.push(
      "",
      "### Per repository across stages",
      "",
      ...table(
        ["repository", "total", ...s.stages.map((st) => st.label)],
        s.by_repository.map((r) => [r.key, String(r.total), ...r.resolved.map((k, i) => `${k} (${percent(r.rates[i]!)})`)]),
      ),
    );
    lines.push(
      "",
      `Always solved: ${s.always_solved.length}. Never solved: ${s.never_solved.length}. Flip-floppers (direction changes ≥ 2): ${s.flip_floppers.length}.`,
    );
    if (s.flip_floppers.length > 0)
      lines.push(
        "",
        ...table(
          ["instance", "repository", "outcomes by stage", "flips"],
          s.flip_floppers.map((f) => [f.instance_id, f.repository, f.outcomes, String(f.flips)]),
        ),
      );
  }
  if (report.groups.length > 0) {
    lines.push("", "## Groups of seeds");
    for (const g of report.groups) {
      lines.push(
        "",
        `### ${g.name} (${g.k} runs: ${g.runs.join(", ")})`,
        "",
        `mean@${g.k} ${percent(g.mean_at_k)} (single runs ${percent(g.min_run_rate)}–${percent(g.max_run_rate)}); ${g.pass_at.map((p) => `pass@${p.k} ${percent(p.value)}`).join(", ")}; always solved ${g.always_solved}, never ${g.never_solved}, flaky ${g.flaky.length}`,
      );
      if (g.flaky.length > 0) lines.push("", `Flaky: ${g.flaky.map((f) => `${f.instance_id} (${f.solved}/${f.attempts})`).join(", ")}`);
    }
    for (const gp of report.group_pairs) {
      lines.push(
        "",
        `### ${gp.a} → ${gp.b}`,
        "",
        `mean solve rate ${percent(gp.a_mean_rate)} → ${percent(gp.b_mean_rate)}: ${points(gp.difference)} points, paired bootstrap ${interval(gp.bootstrap)}; sign test p = ${pValue(gp.sign_test_p)} (${gp.better_in_b} instances better, ${gp.worse_in_b} worse${gp.significant ? ", significant" : ""})`,
      );
    }
  }
  if (report.pairs.length > 0) {
    lines.push("", "## Differences");
    for (const pair of report.pairs) lines.push("", ...pairLines(pair));
  }
  lines.push("", "## Runs");
  for (const run of report.runs) {
    lines.push("", ...runLines(run));
    if (report.runs.length === 1) {
      lines.push(
        "",
        "#### By repository",
        "",
        ...table(
          ["repository", "resolved", "total", "rate", "95% interval"],
          run.by_repository.map((r) => [r.key, String(r.resolved), String(r.total), percent(r.rate), interval(r.wilson)]),
        ),
      );
      lines.push(
        "",
        "#### By difficulty",
        "",
        ...table(
          ["difficulty", "resolved", "total", "rate", "95% interval"],
          run.by_difficulty.map((r) => [r.key, String(r.resolved), String(r.total), percent(r.rate), interval(r.wilson)]),
        ),
      );
    }
  }
  return lines.join("\n") + "\n";
}
