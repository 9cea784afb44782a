/**
 * The few Python `str` behaviours SWE-agent's file tools lean on, reproduced so our observations
 * come out the same: Python measures text in code points (JS in UTF-16 units), `str.count("")`
 * is `len + 1`, `splitlines()` knows more line breaks than "\n", and `expandtabs()` resets its
 * column on "\r" as well as "\n".
 */

/** Python `len(s)`: code points, not UTF-16 units. */
export function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Python `s[:n]`, counted in code points. */
export function headCodePoints(s: string, n: number): string {
  if (s.length <= n) return s;
  let units = 0;
  let points = 0;
  for (const ch of s) {
    if (points === n) break;
    units += ch.length;
    points++;
  }
  return s.slice(0, units);
}

/** Python `s.expandtabs(tabsize)`. */
export function expandTabs(s: string, tabsize = 8): string {
  if (!s.includes("\t")) return s;
  let out = "";
  let column = 0;
  for (const ch of s) {
    if (ch === "\t") {
      if (tabsize > 0) {
        const spaces = tabsize - (column % tabsize);
        out += " ".repeat(spaces);
        column += spaces;
      }
    } else {
      out += ch;
      column = ch === "\n" || ch === "\r" ? 0 : column + 1;
    }
  }
  return out;
}

/** Python `haystack.count(needle)`: non-overlapping, and `len + 1` for the empty needle. */
export function countOccurrences(haystack: string, needle: string): number {
  if (needle === "") return codePointLength(haystack) + 1;
  let count = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) count++;
  return count;
}

/** Python `s.count("\n")`. */
export function countNewlines(s: string): number {
  return countOccurrences(s, "\n");
}

// Every boundary `str.splitlines()` honours; "\r\n" counts once.
const LINE_BOUNDARY = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

/** Python `s.splitlines()`: no empty element after a final line break. */
export function splitPythonLines(s: string): string[] {
  if (s === "") return [];
  const parts = s.split(LINE_BOUNDARY);
  if (parts[parts.length - 1] === "") parts.pop();
  return parts;
}

/** Python `len(s.splitlines())`. */
export function splitlinesCount(s: string): number {
  return splitPythonLines(s).length;
}

/** Python `repr()` of a list of ints, e.g. `[1, 2]`. */
export function pyIntList(values: readonly number[]): string {
  return `[${values.join(", ")}]`;
}
