import { codePointLength, expandTabs, headCodePoints } from "./python-str.ts";

/** SWE-agent's editor clips any file text it shows at this many characters (code points). */
export const MAX_RESPONSE_LEN = 16_000;

/** The note SWE-agent appends where it clipped a view (verbatim from its editor). */
export const TRUNCATED_MESSAGE =
  "<response clipped><NOTE>To save on context only part of this file has been shown to you. You should retry this tool after you have searched inside the file with `grep -n` in order to find the line numbers of what you are looking for.</NOTE>";

/** Clips `content` past MAX_RESPONSE_LEN and appends the note. */
export function maybeTruncate(content: string, limit = MAX_RESPONSE_LEN): string {
  if (content.length <= limit || codePointLength(content) <= limit) return content;
  return headCodePoints(content, limit) + TRUNCATED_MESSAGE;
}

/**
 * The editor's `cat -n` rendering: a header naming what is shown, then every line as a number
 * right-aligned in 6 columns, a tab and the line. Clipping happens before numbering, so the note
 * lands on the last line shown; tabs are expanded after clipping, as SWE-agent does.
 */
export function catN(content: string, descriptor: string, initLine = 1): string {
  const shown = expandTabs(maybeTruncate(content));
  const numbered = shown
    .split("\n")
    .map((line, i) => `${String(i + initLine).padStart(6)}\t${line}`)
    .join("\n");
  return `Here's the result of running \`cat -n\` on ${descriptor}:\n${numbered}\n`;
}
