/**
 * Python's string and `re` semantics where they differ from JavaScript's, for the log parsers
 * and the grader. The official parsers are Python; reproducing their output on real logs needs
 * Python's idea of whitespace, of `.`, of `^`/`$` under MULTILINE and of `\d`/`\w`.
 */

/**
 * Characters Python's `str.isspace()` accepts. `str.split()`, `str.strip()` and `re`'s `\s` all
 * use this set. Compared with JavaScript's `\s` it adds U+001C–U+001F and U+0085 and lacks
 * U+FEFF. (Checked against CPython 3.11 over all code points.)
 */
const PY_WHITESPACE_CHARS =
  "\t\n\u000b\u000c\r\u001c\u001d\u001e\u001f \u0085\u00a0\u1680" +
  "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" +
  "\u2028\u2029\u202f\u205f\u3000";

const PY_WHITESPACE_SET = new Set(PY_WHITESPACE_CHARS);

/** Regex source for Python's `\s`, as a complete character class. */
export const PY_WS = "[\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
/** Regex source for Python's `.` without DOTALL: anything but `\n` (JS's `.` also stops at `\r`, U+2028, U+2029). */
export const PY_DOT = "[^\\n]";
/** Regex source for Python's `^` under MULTILINE: start of text or just after `\n`. */
export const PY_ML_START = "(?:(?<![\\s\\S])|(?<=\\n))";
/** Regex source for Python's `$` under MULTILINE: end of text or just before `\n`. */
export const PY_ML_END = "(?=\\n|(?![\\s\\S]))";
/** Regex source for Python's `\d` on str patterns (any decimal digit); needs the `u` flag. */
export const PY_DIGIT = "\\p{Nd}";
/**
 * Regex source for Python's `\w` on str patterns (letters, numbers, underscore); needs the `u`
 * flag. Close approximation: Python also counts a few code points with a numeric value that
 * Unicode does not put in a letter or number category.
 */
export const PY_WORD = "[\\p{L}\\p{N}_]";

/** Python's `s.split()`: split on runs of whitespace, dropping empty strings. */
export function pySplit(s: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i < s.length; i++) {
    if (PY_WHITESPACE_SET.has(s[i]!)) {
      if (start >= 0) {
        out.push(s.slice(start, i));
        start = -1;
      }
    } else if (start < 0) {
      start = i;
    }
  }
  if (start >= 0) out.push(s.slice(start));
  return out;
}

/** Python's `s.strip()` with no argument. */
export function pyStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && PY_WHITESPACE_SET.has(s[start]!)) start++;
  while (end > start && PY_WHITESPACE_SET.has(s[end - 1]!)) end--;
  return s.slice(start, end);
}

/** Python's `s.split(sep)[0]`: the text before the first `sep` (all of `s` if absent). */
export function beforeFirst(s: string, sep: string): string {
  const i = s.indexOf(sep);
  return i < 0 ? s : s.slice(0, i);
}

/** Python's `s.rsplit(sep, 1)[0]`: the text before the last `sep` (all of `s` if absent). */
export function beforeLast(s: string, sep: string): string {
  const i = s.lastIndexOf(sep);
  return i < 0 ? s : s.slice(0, i);
}

/**
 * What Python's text-mode `open()` (universal newlines) hands to the reader: `\r\n` and lone
 * `\r` both become `\n`. The official grader reads test_output.txt this way, so its parsers never
 * see a carriage return.
 */
export function pyUniversalNewlines(text: string): string {
  return text.replace(/\r\n?/g, "\n");
}

/** Python's `sorted()` on strings: by code point, not by UTF-16 code unit like `Array.sort()`. */
export function pyCompareStrings(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx - cy;
  }
}

/**
 * Whether a string of decimal digits (Python's `\d+`, any script) denotes zero, i.e. what
 * `int(digits) == 0` says. Unicode lays decimal digits out in contiguous runs of ten starting at
 * zero, so a digit's value is its offset from the start of its run, modulo ten.
 */
export function pyDigitsAreZero(digits: string): boolean {
  const isDigit = (cp: number) => /^\p{Nd}$/u.test(String.fromCodePoint(cp));
  for (const ch of digits) {
    let cp = ch.codePointAt(0)!;
    const here = cp;
    while (isDigit(cp - 1)) cp--;
    if ((here - cp) % 10 !== 0) return false;
  }
  return true;
}
