import type { CompareReport, PairSection } from "./compare-report.ts";
import { interval, maybe, percent, points, pValue } from "./number-format.ts";
import { escapeXml as esc, groupedBars, trendChart } from "./svg-charts.ts";

/**
 * compare.html: one self-contained page (inline CSS, inline SVG, a few lines of inline script
 * for sorting; nothing fetched at view time), rendered from compare.json's object.
 */

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1180px;padding:0 16px;color:#1d2330}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #dde}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}th,td{border:1px solid #dde;padding:3px 8px;text-align:left}
th{background:#f3f4f8}th.sortable{cursor:pointer;user-select:none}th.sortable::after{content:" ↕";color:#99a}
th[aria-sort=ascending]::after{content:" ↑";color:#333}th[aria-sort=descending]::after{content:" ↓";color:#333}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.resolved{color:#0a7a33;font-weight:600}.unresolved{color:#8a8f99}.error{color:#b3261e}.empty_patch{color:#a15c00}.no_prediction{color:#6b4fa0}
.banner{padding:10px 14px;border-radius:6px;margin:12px 0}.banner.bad{background:#fde7e5;border:1px solid #e5a29c}.banner.ok{background:#e6f4ea;border:1px solid #9fd0ae}
.warn{background:#fff6db;border:1px solid #ecd48a;padding:6px 10px;border-radius:6px;margin:6px 0}
.charts{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
.chart text{font-size:11px;fill:#333}.chart .chart-title{font-size:13px;font-weight:600}.chart .grid{stroke:#e4e6ee}
.chart .trend-line{fill:none;stroke:#3b5bdb;stroke-width:2}.chart .whisker{stroke:#3b5bdb;stroke-width:1.5}
.chart .point{fill:#3b5bdb}.chart .point.significant{fill:#e8590c}
.series-0{fill:#3b5bdb}.series-1{fill:#e8590c}.series-2{fill:#2f9e44}.series-3{fill:#ae3ec9}.series-4{fill:#1098ad}.series-5{fill:#f08c00}.series-6{fill:#c2255c}.series-7{fill:#5c940d}
.flags{color:#b3261e;font-weight:600}small{color:#667}
`;

const SORT_SCRIPT = `
for (const table of document.querySelectorAll("table.sortable")) {
  table.querySelectorAll("th").forEach((th, column) => {
    th.classList.add("sortable");
    th.addEventListener("click", () => {
      const ascending = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th").forEach((other) => other.removeAttribute("aria-sort"));
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      const body = table.tBodies[0];
      const key = (row) => { const cell = row.cells[column]; return cell.dataset.sort ?? cell.textContent.trim(); };
      const rows = [...body.rows];
      const numeric = rows.every((row) => key(row) === "" || !Number.isNaN(Number(key(row))));
      rows.sort((a, b) => {
        const x = key(a), y = key(b);
        const order = numeric ? Number(x) - Number(y) : x.localeCompare(y);
        return ascending ? order : -order;
      });
      body.append(...rows);
    });
  });
}
`;

type Cell = string | { html: string; sort?: string | number; num?: boolean };

function table(headers: string[], rows: Cell[][], sortable = true, id?: string): string {
  const head = `<thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead>`;
  const body = rows
    .map((row) => {
      const cells = row.map((cell) => {
        if (typeof cell === "string") return `<td>${esc(cell)}</td>`;
        const sort = cell.sort === undefined ? "" : ` data-sort="${esc(String(cell.sort))}"`;
        return `<td${sort}${cell.num ? ' class="num"' : ""}>${cell.html}</td>`;
      });
      return `<tr>${cells.join("")}</tr>`;
    })
    .join("");
  return `<table${sortable ? ' class="sortable"' : ""}${id ? ` id="${id}"` : ""}>${head}<tbody>${body}</tbody></table>`;
}

const num = (value: number, text = String(value)): Cell => ({ html: esc(text), sort: value, num: true });
const rateCell = (rate: number): Cell => num(rate, percent(rate));
const link = (text: string, href: string | null) => (href === null ? "" : `<a href="${esc(encodeURI(href))}">${esc(text)}</a>`);

function outcomeCell(ref: { status: string; trajectory: string | null; test_log: string | null }): Cell {
  const links = [link("traj", ref.trajectory), link("log", ref.test_log)].filter(Boolean).join(" ");
  return {
    html: `<span class="${ref.status}">${esc(ref.status.replaceAll("_", " "))}</span>${links ? ` <small>${links}</small>` : ""}`,
    sort: ref.status,
  };
}

function flipRows(list: PairSection["gained"]): Cell[][] {
  return list.map((f) => [f.instance_id, f.repository, f.difficulty ?? "–", outcomeCell(f.a), outcomeCell(f.b)]);
}

function pairHtml(pair: PairSection): string {
  const parts = [
    `<h3>${esc(pair.a)} → ${esc(pair.b)}</h3>`,
    `<p><b>${percent(pair.a_rate)} → ${percent(pair.b_rate)}: ${points(pair.difference)} points</b>, paired bootstrap 95% ${interval(pair.bootstrap)}, exact McNemar p = ${pValue(pair.mcnemar_p)} ` +
      `(${pair.only_b} gained, ${pair.only_a} lost; ${pair.significant ? "significant" : "not significant"})</p>`,
    table(
      ["", `${pair.b} resolved`, `${pair.b} not`],
      [
        [`${pair.a} resolved`, num(pair.both), num(pair.only_a)],
        [`${pair.a} not`, num(pair.only_b), num(pair.neither)],
      ],
      false,
    ),
  ];
  if (pair.gained_flagged.length > 0)
    parts.push(`<p class="flags">Gained instances with integrity flags: ${esc(pair.gained_flagged.join(", "))}</p>`);
  const breakdown = (title: string, rows: PairSection["by_repository"]) =>
    `<h4>${title}</h4>` +
    table(
      ["", "total", pair.a, pair.b, "gained", "lost"],
      rows.map((r) => [
        r.key,
        num(r.total),
        num(r.a_resolved / r.total, `${r.a_resolved} (${percent(r.a_resolved / r.total)})`),
        num(r.b_resolved / r.total, `${r.b_resolved} (${percent(r.b_resolved / r.total)})`),
        num(r.gained),
        num(r.lost),
      ]),
    );
  parts.push(breakdown("By repository", pair.by_repository), breakdown("By difficulty", pair.by_difficulty));
  const headers = ["instance", "repository", "difficulty", pair.a, pair.b];
  parts.push(`<h4>Gained (${pair.gained.length})</h4>`, pair.gained.length ? table(headers, flipRows(pair.gained)) : "<p>none</p>");
  parts.push(`<h4>Lost (${pair.lost.length})</h4>`, pair.lost.length ? table(headers, flipRows(pair.lost)) : "<p>none</p>");
  return parts.join("\n");
}

export function htmlReport(report: CompareReport): string {
  const runs = report.runs;
  const labels = runs.map((r) => r.label);
  const title = runs.length === 1 ? `Run ${labels[0]}` : `Comparison: ${labels.join(" → ")}`;
  const body: string[] = [`<h1>${esc(title)}</h1>`];
  body.push(
    `<p><small>${report.instances_compared} instances compared. Rates are over ${esc(report.settings.denominator)}. 95% Wilson intervals; bootstrap ${report.settings.resamples} resamples, seed ${report.settings.seed}; α = ${report.settings.alpha}. ${esc(report.created_at)}</small></p>`,
  );
  for (const w of report.warnings) body.push(`<div class="warn">${esc(w)}</div>`);
  for (const ex of report.excluded)
    body.push(`<div class="warn">Left out (not in every run): ${ex.instance_ids.length} instances of ${esc(ex.run)}</div>`);
  if (report.gate)
    body.push(
      `<div class="banner ${report.gate.regressed ? "bad" : "ok"}"><b>Regression gate ${esc(report.gate.baseline)} → ${esc(report.gate.candidate)}: ${report.gate.regressed ? "REGRESSED" : "passed"}</b> — ${esc(report.gate.reason)}</div>`,
    );

  const significantStage = (i: number) =>
    report.series ? (report.series.stages[i]?.significant ?? false) : i > 0 && (report.pairs[i - 1]?.significant ?? false);
  const trend = trendChart(
    runs.map((r, i) => ({ label: r.label, rate: r.rate, low: r.wilson.low, high: r.wilson.high, significant: significantStage(i) })),
    runs.length >= 3 ? "Resolved rate per stage, 95% intervals" : "Resolved rate, 95% intervals",
  );
  const repoGroups = runs[0]!.by_repository.map((row, g) => ({
    key: row.key,
    total: row.total,
    resolved: runs.map((r) => r.by_repository[g]!.resolved),
  }));
  const diffGroups = runs[0]!.by_difficulty.map((row, g) => ({
    key: row.key,
    total: row.total,
    resolved: runs.map((r) => r.by_difficulty[g]!.resolved),
  }));
  body.push(`<div class="charts">${trend}${groupedBars(diffGroups, labels, "Resolved by difficulty")}</div>`);
  body.push(`<div class="charts">${groupedBars(repoGroups, labels, "Resolved by repository")}</div>`);

  body.push("<h2>Runs</h2>");
  body.push(
    table(
      [
        "run",
        "kind",
        "resolved",
        "rate",
        "95% Wilson",
        "cluster bootstrap",
        "empty patch",
        "apply failures",
        "no prediction",
        "episodes",
        "steps p50/p90",
        "tokens p50/p90",
        "wall s p50/p90",
        "integrity flags",
      ],
      runs.map((r) => [
        r.label,
        r.kind.replaceAll("_", " "),
        num(r.resolved),
        rateCell(r.rate),
        interval(r.wilson),
        interval(r.cluster_bootstrap),
        rateCell(r.empty_patch_rate),
        r.patch_apply_failures === null ? "unknown" : num(r.patch_apply_failures),
        num(r.status_counts.no_prediction),
        num(r.episodes),
        `${maybe(r.steps.median, 1)} / ${maybe(r.steps.p90, 1)}`,
        `${maybe(r.tokens.median)} / ${maybe(r.tokens.p90)}`,
        `${maybe(r.wall_seconds.median, 1)} / ${maybe(r.wall_seconds.p90, 1)}`,
        { html: r.integrity.flagged > 0 ? `<span class="flags">${r.integrity.flagged}</span>` : "0", sort: r.integrity.flagged, num: true },
      ]),
      true,
      "runs",
    ),
  );
  const exitKeys = [...new Set(runs.flatMap((r) => Object.keys(r.exit_statuses)))].sort();
  if (exitKeys.length > 0) {
    body.push(
      "<h3>Exit statuses</h3>",
      table(
        ["run", ...exitKeys],
        runs.map((r) => [r.label, ...exitKeys.map((k) => num(r.exit_statuses[k] ?? 0))]),
      ),
    );
  }

  if (report.series) {
    const s = report.series;
    body.push("<h2>Trend</h2>");
    body.push(
      table(
        ["stage", "resolved", "rate", "95% interval", "change", "McNemar p", "gained", "lost"],
        s.stages.map((st) => [
          st.label,
          num(st.resolved),
          rateCell(st.rate),
          interval(st.wilson),
          st.change === null ? "–" : num(st.change, points(st.change)),
          st.mcnemar_p === null ? "–" : num(st.mcnemar_p, `${pValue(st.mcnemar_p)}${st.significant ? " *" : ""}`),
          st.gained === null ? "–" : num(st.gained),
          st.lost === null ? "–" : num(st.lost),
        ]),
        false,
      ),
    );
    body.push(
      "<h3>Per repository across stages</h3>",
      table(
        ["repository", "total", ...s.stages.map((st) => st.label)],
        s.by_repository.map((r) => [r.key, num(r.total), ...r.resolved.map((k, i) => num(r.rates[i]!, `${k} (${percent(r.rates[i]!)})`))]),
      ),
    );
    body.push(`<p>Always solved: ${s.always_solved.length}. Never solved: ${s.never_solved.length}.</p>`);
    body.push(
      `<h3>Flip-floppers (${s.flip_floppers.length})</h3>`,
      s.flip_floppers.length
        ? table(
            ["instance", "repository", "outcomes by stage", "flips"],
            s.flip_floppers.map((f) => [
              f.instance_id,
              f.repository,
              { html: `<code>${f.outcomes}</code>`, sort: f.outcomes },
              num(f.flips),
            ]),
          )
        : "<p>none</p>",
    );
  }

  if (report.groups.length > 0) {
    body.push("<h2>Groups of seeds</h2>");
    const maxK = Math.max(...report.groups.map((g) => g.k));
    body.push(
      table(
        ["group", "runs", `mean@k`, "single runs", ...Array.from({ length: maxK }, (_, i) => `pass@${i + 1}`), "flaky", "always", "never"],
        report.groups.map((g) => [
          g.name,
          g.runs.join(", "),
          rateCell(g.mean_at_k),
          `${percent(g.min_run_rate)}–${percent(g.max_run_rate)}`,
          ...Array.from({ length: maxK }, (_, i) => (g.pass_at[i] ? rateCell(g.pass_at[i]!.value) : "–")),
          num(g.flaky.length),
          num(g.always_solved),
          num(g.never_solved),
        ]),
      ),
    );
    for (const gp of report.group_pairs)
      body.push(
        `<p><b>${esc(gp.a)} → ${esc(gp.b)}</b>: mean solve rate ${percent(gp.a_mean_rate)} → ${percent(gp.b_mean_rate)} (${points(gp.difference)} points, paired bootstrap ${interval(gp.bootstrap)}); sign test p = ${pValue(gp.sign_test_p)}, ${gp.better_in_b} better, ${gp.worse_in_b} worse</p>`,
      );
    for (const g of report.groups)
      if (g.flaky.length)
        body.push(
          `<h3>Flaky in ${esc(g.name)}</h3>`,
          table(
            ["instance", "solved", "attempts"],
            g.flaky.map((f) => [f.instance_id, num(f.solved), num(f.attempts)]),
          ),
        );
  }

  if (report.pairs.length > 0) {
    body.push("<h2>Differences</h2>");
    for (const pair of report.pairs) body.push(pairHtml(pair));
  }

  body.push("<h2>Integrity flags</h2>");
  for (const r of runs) {
    const i = r.integrity;
    body.push(
      `<p><b>${esc(r.label)}</b>: ${i.flagged} flagged (${i.flagged_resolved} resolved) of ${i.patches_checked} patches and ${i.logs_checked} test logs checked.</p>`,
    );
    if (i.instances.length)
      body.push(
        table(
          ["instance", "flags", "files"],
          i.instances.map((x) => [
            x.instance_id,
            { html: `<span class="flags">${esc(x.flags.join(", "))}</span>`, sort: x.flags.join(",") },
            x.files.join(", "),
          ]),
        ),
      );
  }

  body.push("<h2>All instances</h2>");
  body.push(
    table(
      ["instance", "repository", "difficulty", ...labels],
      report.instances.map((x) => [x.instance_id, x.repository, x.difficulty ?? "–", ...x.outcomes.map(outcomeCell)]),
      true,
      "instances",
    ),
  );

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body>
${body.join("\n")}
<script>${SORT_SCRIPT}</script>
</body></html>
`;
}
