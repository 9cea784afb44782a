/**
 * Text cut into terminal rows: each line split at `columns` characters. The live area counts
 * rows with this, so it never draws more rows than the terminal has.
 */
export function toRows(text: string, columns: number): string[] {
  const width = Math.max(1, columns);
  const rows: string[] = [];
  for (const line of text.replace(/\t/g, "    ").split("\n")) {
    const chars = Array.from(line);
    if (chars.length === 0) rows.push("");
    for (let i = 0; i < chars.length; i += width) rows.push(chars.slice(i, i + width).join(""));
  }
  return rows;
}

/**
 * Text word-wrapped to `columns`: each line broken at its last space that fits (the space
 * dropped), a word longer than a row split. Ink's own wrapping keeps the space at the start of
 * the next row, one column past the width, and the terminal then breaks that row again.
 */
export function wordWrap(text: string, columns: number): string[] {
  const width = Math.max(1, columns);
  const rows: string[] = [];
  for (const line of text.replace(/\t/g, "    ").split("\n")) {
    let rest = Array.from(line);
    while (rest.length > width) {
      const space = rest.lastIndexOf(" ", width);
      const cut = space > 0 ? space : width;
      rows.push(rest.slice(0, cut).join(""));
      rest = rest.slice(space > 0 ? cut + 1 : cut);
    }
    rows.push(rest.join(""));
  }
  return rows;
}

/** The last `count` rows of a text (what a streaming reply shows), with how many were left out. */
export function lastRows(text: string, columns: number, count: number): { rows: string[]; hidden: number } {
  const rows = toRows(text, columns);
  const keep = Math.max(0, count);
  return { rows: rows.slice(Math.max(0, rows.length - keep)), hidden: Math.max(0, rows.length - keep) };
}

/** The first lines of a long output and how many more there are (a folded observation). */
export function fold(text: string, maxLines: number): { lines: string[]; more: number } {
  const lines = text.replace(/\n$/, "").split("\n");
  if (lines.length <= maxLines) return { lines, more: 0 };
  return { lines: lines.slice(0, maxLines), more: lines.length - maxLines };
}
