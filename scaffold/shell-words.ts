/**
 * Splits a command line into words the way bash would before running it (no expansions): what a
 * text-mode model writes after a tool name, e.g. `str_replace_editor create /a.py --file_text '...'`.
 * SWE-agent ran such lines through bash, so its quoting rules are the ones models learned.
 */

/** The command line cannot be split: a quote is never closed. */
export class ShellWordsError extends Error {
  constructor(
    readonly input: string,
    /** Offset of the opening quote that is never closed. */
    readonly position: number,
    readonly quote: "'" | '"',
  ) {
    super(`unterminated ${quote === "'" ? "single" : "double"} quote starting at offset ${position}`);
    this.name = "ShellWordsError";
  }
}

const BLANK = new Set([" ", "\t", "\n", "\r"]);
/** Inside double quotes a backslash escapes only these (bash); before anything else it stays. */
const DOUBLE_QUOTE_ESCAPABLE = new Set(["$", "`", '"', "\\"]);

/**
 * Bash word splitting: blanks (newlines included) separate words; '…' keeps everything literally;
 * "…" keeps everything but `\$ \` \" \\` and a backslash-newline; an unquoted backslash keeps the
 * next character (backslash-newline joins lines); `#` at the start of a word comments out the rest
 * of the line. `''` is an empty word. Not handled: `$'…'`, expansions, operators (`;`, `|`, `>`),
 * which stay part of the words.
 */
export function shellWords(input: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let i = 0;
  const end = () => {
    if (inWord) words.push(word);
    word = "";
    inWord = false;
  };
  while (i < input.length) {
    const ch = input[i]!;
    if (BLANK.has(ch)) {
      end();
      i += 1;
    } else if (ch === "#" && !inWord) {
      const newline = input.indexOf("\n", i);
      i = newline === -1 ? input.length : newline;
    } else if (ch === "'") {
      const close = input.indexOf("'", i + 1);
      if (close === -1) throw new ShellWordsError(input, i, "'");
      word += input.slice(i + 1, close);
      inWord = true;
      i = close + 1;
    } else if (ch === '"') {
      const start = i;
      i += 1;
      inWord = true;
      for (;;) {
        if (i >= input.length) throw new ShellWordsError(input, start, '"');
        const c = input[i]!;
        if (c === '"') {
          i += 1;
          break;
        }
        if (c === "\\" && i + 1 < input.length) {
          const next = input[i + 1]!;
          if (next === "\n") {
            i += 2;
            continue;
          }
          if (DOUBLE_QUOTE_ESCAPABLE.has(next)) {
            word += next;
            i += 2;
            continue;
          }
        }
        word += c;
        i += 1;
      }
    } else if (ch === "\\") {
      if (i + 1 >= input.length) {
        word += ch;
        inWord = true;
        i += 1;
      } else if (input[i + 1] === "\n") {
        i += 2;
      } else {
        word += input[i + 1];
        inWord = true;
        i += 2;
      }
    } else {
      word += ch;
      inWord = true;
      i += 1;
    }
  }
  end();
  return words;
}
