/**
 * The report's charts as inline SVG strings (no script, no network): a rate-per-run chart with
 * 95% interval bars (the trend across stages), and grouped bars per category (repository,
 * difficulty). Colours come from CSS classes the page defines.
 */

export const escapeXml = (text: string): string =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

const pct = (rate: number) => `${(100 * rate).toFixed(1)}%`;

export interface TrendPoint {
  label: string;
  rate: number;
  low: number;
  high: number;
  /** Different from the previous point at the report's α. */
  significant: boolean;
}

/** Resolved rate per run with its interval, joined by a line, on a 0–max axis. */
export function trendChart(points: readonly TrendPoint[], title: string): string {
  const width = Math.max(480, 90 * points.length + 80);
  const height = 240;
  const left = 48;
  const right = 16;
  const top = 28;
  const bottom = 44;
  const top100 = Math.min(1, Math.ceil((Math.max(...points.map((p) => p.high)) + 0.05) * 10) / 10);
  const anySignificant = points.some((p) => p.significant);
  const plotH = height - top - bottom;
  const step = (width - left - right) / Math.max(1, points.length);
  const x = (i: number) => left + step * (i + 0.5);
  const y = (rate: number) => top + plotH * (1 - rate / top100);
  const parts: string[] = [];
  parts.push(`<text class="chart-title" x="${left}" y="16">${escapeXml(title)}</text>`);
  if (anySignificant)
    parts.push(`<text class="axis" x="${width - right}" y="16" text-anchor="end">● orange: significant change from the previous</text>`);
  // Gridlines every 10 points (every 20 above 50%), labelled in whole percent.
  const tick = top100 > 0.5 ? 0.2 : 0.1;
  for (let t = 0; t * tick <= top100 + 1e-9; t++) {
    const rate = t * tick;
    parts.push(`<line class="grid" x1="${left}" x2="${width - right}" y1="${y(rate)}" y2="${y(rate)}"/>`);
    parts.push(`<text class="axis" x="${left - 6}" y="${y(rate) + 4}" text-anchor="end">${Math.round(rate * 100)}%</text>`);
  }
  if (points.length > 1) parts.push(`<polyline class="trend-line" points="${points.map((p, i) => `${x(i)},${y(p.rate)}`).join(" ")}"/>`);
  points.forEach((p, i) => {
    parts.push(`<line class="whisker" x1="${x(i)}" x2="${x(i)}" y1="${y(p.low)}" y2="${y(p.high)}"/>`);
    for (const v of [p.low, p.high]) parts.push(`<line class="whisker" x1="${x(i) - 6}" x2="${x(i) + 6}" y1="${y(v)}" y2="${y(v)}"/>`);
    parts.push(
      `<circle class="point${p.significant ? " significant" : ""}" cx="${x(i)}" cy="${y(p.rate)}" r="5"><title>${escapeXml(`${p.label}: ${pct(p.rate)} [${pct(p.low)}, ${pct(p.high)}]`)}</title></circle>`,
    );
    parts.push(`<text class="value" x="${x(i) + 8}" y="${y(p.rate) - 6}">${pct(p.rate)}</text>`);
    parts.push(
      `<text class="axis" x="${x(i)}" y="${height - bottom + 16}" text-anchor="middle">${escapeXml(p.label.length > 14 ? `${p.label.slice(0, 13)}…` : p.label)}</text>`,
    );
  });
  return `<svg class="chart trend" role="img" aria-label="${escapeXml(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">${parts.join("")}</svg>`;
}

export interface BarGroup {
  key: string;
  total: number;
  /** One value per series (run), resolved counts. */
  resolved: number[];
}

/** Horizontal grouped bars: per category, one bar per run, its rate and count. */
export function groupedBars(groups: readonly BarGroup[], seriesLabels: readonly string[], title: string): string {
  const barH = 12;
  const gap = 10;
  const left = 190;
  const width = 640;
  const plotW = width - left - 90;
  const groupH = seriesLabels.length * barH + gap;
  const legendH = 18 * Math.ceil(seriesLabels.length / 3);
  const top = 26 + legendH;
  const height = top + groups.length * groupH + 8;
  const parts: string[] = [`<text class="chart-title" x="0" y="16">${escapeXml(title)}</text>`];
  seriesLabels.forEach((label, s) => {
    const lx = (s % 3) * 200;
    const ly = 24 + 18 * Math.floor(s / 3);
    parts.push(
      `<rect class="series-${s % 8}" x="${lx}" y="${ly}" width="10" height="10"/><text class="axis" x="${lx + 14}" y="${ly + 9}">${escapeXml(label)}</text>`,
    );
  });
  groups.forEach((group, g) => {
    const gy = top + g * groupH;
    parts.push(
      `<text class="axis" x="${left - 8}" y="${gy + (seriesLabels.length * barH) / 2 + 4}" text-anchor="end">${escapeXml(group.key)} (${group.total})</text>`,
    );
    group.resolved.forEach((resolved, s) => {
      const rate = group.total === 0 ? 0 : resolved / group.total;
      const w = Math.max(1, plotW * rate);
      parts.push(
        `<rect class="bar series-${s % 8}" x="${left}" y="${gy + s * barH}" width="${w.toFixed(1)}" height="${barH - 2}"><title>${escapeXml(`${seriesLabels[s]} · ${group.key}: ${resolved}/${group.total} = ${pct(rate)}`)}</title></rect>`,
      );
      parts.push(`<text class="value" x="${left + w + 4}" y="${gy + s * barH + barH - 3}">${resolved}/${group.total}</text>`);
    });
  });
  return `<svg class="chart bars" role="img" aria-label="${escapeXml(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">${parts.join("")}</svg>`;
}
