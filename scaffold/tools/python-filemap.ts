import { splitPythonLines } from "./python-str.ts";

/**
 * SWE-agent's "filemap" of a large Python file (str_replace_editor with USE_FILEMAP=true, the
 * default config): every line numbered `{:6d} {line}`, except that each function body spanning
 * 5 or more rows is replaced by one "... eliding lines a-b ..." line. SWE-agent finds the bodies
 * with tree-sitter (tree-sitter-languages 1.10.2, whose Python grammar is v0.20.2); this module
 * finds the same rows without a parser, by following that grammar's indentation scanner:
 *
 * - a body runs from its first statement (comments before it stay visible) to the end of its
 *   last statement, plus any comment lines after it that the scanner reads before it closes the
 *   block: while the first comment met is indented at least as deep as the block;
 * - v0.20.2 also counts an inline comment after the last statement as "the first comment" when
 *   a blank line follows it, closing the block early (fixed in later grammars);
 * - rows are counted by "\n", as tree-sitter does, while the lines shown come from Python's
 *   `splitlines()`, which also breaks at "\f", "\v" and friends; like SWE-agent we mix the two.
 *
 * Nested functions add their own "eliding" line even inside an elided body, as SWE-agent's do.
 */

/** Bodies shorter than this many rows (end row - start row) are kept. */
const MIN_ELIDED_SPAN = 5;

interface Token {
  text: string;
  start: number;
  end: number;
  depth: number;
}

interface LogicalLine {
  /** Scanner indentation: a space counts 1, a tab 8, a form feed resets. */
  indent: number;
  tokens: Token[];
  /** Indentation levels open when the line starts (the scanner's stack, outermost first). */
  levels: number[];
}

const STRING_PREFIXES = new Set(["r", "u", "b", "f", "br", "rb", "fr", "rf"]);
const NAME_CHAR = /[\p{L}\p{N}_\p{Mn}\p{Mc}\p{Pc}]/u;

/** Splits source into logical lines of tokens, skipping strings' insides and comments. */
function logicalLines(src: string): LogicalLine[] {
  const lines: LogicalLine[] = [];
  const levels = [0];
  let current: LogicalLine | undefined;
  let depth = 0;
  let i = 0;
  const n = src.length;

  while (i < n) {
    if (current === undefined) {
      let indent = 0;
      let j = i;
      for (; j < n; j++) {
        const c = src[j];
        if (c === " ") indent++;
        else if (c === "\t") indent += 8;
        else if (c === "\f" || c === "\r") indent = 0;
        else break;
      }
      if (j >= n) break;
      if (src[j] === "\n" || src[j] === "#") {
        const eol = src.indexOf("\n", j);
        i = eol === -1 ? n : eol + 1;
        continue;
      }
      if (src[j] === "\\" && src[j + 1] === "\n") {
        i = j + 2;
        continue;
      }
      while (levels.length > 1 && indent < levels[levels.length - 1]!) levels.pop();
      if (indent > levels[levels.length - 1]!) levels.push(indent);
      current = { indent, tokens: [], levels: [...levels] };
      lines.push(current);
      i = j;
    }
    const c = src[i]!;
    if (c === "\n") {
      i++;
      if (depth === 0) current = undefined;
    } else if (c === " " || c === "\t" || c === "\f" || c === "\r" || c === "\v") {
      i++;
    } else if (c === "#") {
      const eol = src.indexOf("\n", i);
      i = eol === -1 ? n : eol;
    } else if (c === "\\" && (src[i + 1] === "\n" || (src[i + 1] === "\r" && src[i + 2] === "\n"))) {
      i += src[i + 1] === "\n" ? 2 : 3;
    } else if (c === '"' || c === "'") {
      const end = stringEnd(src, i);
      current.tokens.push({ text: src.slice(i, end), start: i, end, depth });
      i = end;
    } else if (NAME_CHAR.test(c)) {
      let j = i + 1;
      while (j < n && NAME_CHAR.test(src[j]!)) j++;
      const word = src.slice(i, j);
      if ((src[j] === '"' || src[j] === "'") && STRING_PREFIXES.has(word.toLowerCase())) {
        const end = stringEnd(src, j);
        current.tokens.push({ text: src.slice(i, end), start: i, end, depth });
        i = end;
      } else {
        current.tokens.push({ text: word, start: i, end: j, depth });
        i = j;
      }
    } else {
      if (c === "(" || c === "[" || c === "{") depth++;
      if ((c === ")" || c === "]" || c === "}") && depth > 0) depth--;
      current.tokens.push({ text: c, start: i, end: i + 1, depth: c === ")" || c === "]" || c === "}" ? depth + 1 : depth });
      i++;
    }
  }
  return lines;
}

/** Where a string opened at `i` ends; a backslash steps over the next character, raw or not. */
function stringEnd(src: string, i: number): number {
  const q = src[i]!;
  const triple = src.startsWith(q.repeat(3), i);
  let j = i + (triple ? 3 : 1);
  while (j < src.length) {
    const c = src[j];
    if (c === "\\") j += 2;
    else if (triple ? src.startsWith(q.repeat(3), j) : c === q) return j + (triple ? 3 : 1);
    else if (c === "\n" && !triple) return j;
    else j++;
  }
  return src.length;
}

/** What the indentation scanner sees from `p`, as in tree-sitter-python v0.20.2. */
function scan(src: string, p: number): { endOfLine: boolean; indent: number; firstComment: number } | undefined {
  let indent = 0;
  let firstComment = -1;
  let endOfLine = false;
  let i = p;
  for (;;) {
    const c = src[i];
    if (c === "\n") {
      endOfLine = true;
      indent = 0;
      i++;
    } else if (c === " ") {
      indent++;
      i++;
    } else if (c === "\r" || c === "\f") {
      indent = 0;
      i++;
    } else if (c === "\t") {
      indent += 8;
      i++;
    } else if (c === "#") {
      if (firstComment === -1) firstComment = indent;
      const eol = src.indexOf("\n", i);
      i = eol === -1 ? src.length : eol + 1;
      indent = 0;
    } else if (c === "\\") {
      i++;
      if (src[i] === "\r") i++;
      if (src[i] !== "\n") return undefined;
      i++;
    } else if (c === undefined) {
      return { endOfLine: true, indent: 0, firstComment };
    } else {
      return { endOfLine, indent, firstComment };
    }
  }
}

/** Where the block indented `level` closes, given its last statement (or inner block) ends at `p`. */
function blockEnd(src: string, p: number, level: number): number {
  for (let guard = 0; guard < 100_000; guard++) {
    const seen = scan(src, p);
    if (seen?.endOfLine && seen.indent < level && seen.firstComment < level) return p;
    // No dedent here: the next token is a comment (an extra, kept inside the block).
    let j = p;
    while (j < src.length && /[\s\f\uFEFF\u2060\u200B]/.test(src[j]!)) j++;
    if (src[j] !== "#") return p;
    const eol = src.indexOf("\n", j);
    p = eol === -1 ? src.length : eol;
  }
  return p;
}

/** The (start, end) rows, 0-based and counted by "\n", of every function body. */
export function functionBodyRows(src: string): Array<[number, number]> {
  const rowStarts: number[] = [0];
  for (let i = src.indexOf("\n"); i !== -1; i = src.indexOf("\n", i + 1)) rowStarts.push(i + 1);
  const rowOf = (offset: number) => {
    let lo = 0;
    let hi = rowStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (rowStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };

  const lines = logicalLines(src);
  const bodies: Array<[number, number]> = [];
  lines.forEach((line, index) => {
    const t = line.tokens;
    const defAt = t[0]?.text === "def" ? 0 : t[0]?.text === "async" && t[1]?.text === "def" ? 1 : -1;
    if (defAt === -1) return;
    const colon = t.findIndex((tok, k) => k > defAt && tok.text === ":" && tok.depth === 0);
    if (colon === -1) return;
    const last = t[t.length - 1]!;
    if (colon < t.length - 1) {
      // `def f(): return x` – the body is the rest of the line.
      bodies.push([rowOf(t[colon + 1]!.start), rowOf(last.end)]);
      return;
    }
    const first = lines[index + 1];
    if (!first || first.indent <= line.indent) return;
    let end = index + 1;
    while (end + 1 < lines.length && lines[end + 1]!.indent >= first.indent) end++;
    const lastLine = lines[end]!;
    let p = lastLine.tokens[lastLine.tokens.length - 1]!.end;
    // Close the blocks still open inside this body, innermost first, then the body itself.
    const open = lastLine.levels.filter((level) => level >= first.indent).reverse();
    for (const level of open) p = blockEnd(src, p, level);
    bodies.push([rowOf(first.tokens[0]!.start), rowOf(p)]);
  });
  return bodies;
}

/** The filemap text SWE-agent prints between its two notes (before tab expansion and clipping). */
export function pythonFilemap(src: string): string {
  const elided = functionBodyRows(src).filter(([start, end]) => end - start >= MIN_ELIDED_SPAN);
  const hidden = new Set<number>();
  for (const [start, end] of elided) for (let row = start; row <= end; row++) hidden.add(row);
  const entries: Array<[number, string]> = elided.map(([start, end]) => [start, `... eliding lines ${start + 1}-${end + 1} ...`]);
  splitPythonLines(src).forEach((line, row) => {
    if (!hidden.has(row)) entries.push([row, line]);
  });
  // Python sorts the (row, text) tuples: by row, then by text in code point order.
  entries.sort((a, b) => a[0] - b[0] || comparePoints(a[1], b[1]));
  return entries.map(([row, text]) => `${String(row + 1).padStart(6)} ${text}`).join("\n");
}

function comparePoints(a: string, b: string): number {
  const x = Array.from(a, (ch) => ch.codePointAt(0)!);
  const y = Array.from(b, (ch) => ch.codePointAt(0)!);
  for (let k = 0; k < Math.min(x.length, y.length); k++) if (x[k] !== y[k]) return x[k]! - y[k]!;
  return x.length - y.length;
}
