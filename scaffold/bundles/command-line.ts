import { shellQuote } from "../tools/shell-quote.ts";
import { fillFormat, type BundleCommand } from "./bundle-config.ts";
import { parseArgumentFormat } from "./argument-format.ts";

/**
 * How SWE-agent turns a parsed call into the line its shell runs (sweagent/tools/parsing.py,
 * the last step of every function-call parser; sweagent/tools/utils.py; ToolHandler's
 * multi-line guard):
 * 1. each declared argument, in declaration order: absent → "", else its value, shell-quoted
 *    (`shlex.quote`) when it is a string, the tool is not `bash` and has no `end_name`, then
 *    rendered through its `argument_format` (Jinja, so lists print as Python lists unless joined);
 * 2. the results fill the tool's `invoke_format` (the signature with `<arg>` → `{arg}`), and the
 *    whole line is stripped;
 * 3. before it runs, every multi-line tool's first line gets `<< 'END_NAME'` so its body is a heredoc.
 */

/** SWE-agent's built-in bash tool, in the shape of a bundle tool (its signature is the command itself). */
export const BASH_COMMAND: BundleCommand = {
  name: "bash",
  docstring: "runs the given command directly in bash",
  signature: "<command>",
  endName: null,
  arguments: [
    { name: "command", type: "string", description: "The bash command to execute.", required: true, argument_format: "{{value}}" },
  ],
  invokeFormat: "{command}",
  formats: { command: parseArgumentFormat("{{value}}") },
};

function shouldQuote(value: unknown, command: BundleCommand): boolean {
  if (command.name === "bash") return false;
  return typeof value === "string" && command.endName === null;
}

/**
 * The action for one call. `values` are the arguments as the parser produced them: strings from
 * an XML call (view_range already a list), JSON values from a native tool call (null prints as
 * nothing, SWE-agent #1159).
 */
export function commandLine(command: BundleCommand, values: Record<string, unknown>): string {
  const formatted: Record<string, string> = {};
  for (const argument of command.arguments) {
    if (!Object.hasOwn(values, argument.name) || values[argument.name] === undefined) {
      formatted[argument.name] = "";
      continue;
    }
    const raw = values[argument.name];
    const value = raw === null ? "" : shouldQuote(raw, command) ? shellQuote(raw as string) : raw;
    formatted[argument.name] = command.formats[argument.name]!(value);
  }
  return pythonStrip(fillFormat(command.invokeFormat, formatted));
}

/** Python's `str.strip()` with no argument: Unicode whitespace at both ends. */
export function pythonStrip(text: string): string {
  return text.replace(/^[\s\x1c-\x1f\x85]+|[\s\x1c-\x1f\x85]+$/gu, "");
}

interface MultilinePattern {
  regex: RegExp;
}

/**
 * SWE-agent's `guard_multiline_input`: for each multi-line tool (and the submit command) found at
 * the start of a line and closed by its end line, append `<< 'END'` to its first line unless it is
 * there already. Reproduces upstream's slicing, which re-applies the match offset to the match
 * itself, so a multi-line call that follows other lines is cut short exactly as SWE-agent cuts it.
 */
export function guardMultilineInput(
  action: string,
  commands: readonly BundleCommand[],
  submit: { name: string; endName: string | null } = { name: "submit", endName: null },
): string {
  const patterns: MultilinePattern[] = [];
  for (const command of commands) {
    if (command.endName === null || command.name === submit.name) continue;
    patterns.push({ regex: new RegExp(`^\\s*(${command.name})\\s*(.*?)^(${command.endName})\\s*$`, "msu") });
  }
  // Python formats a missing end name as the text "None".
  patterns.push({ regex: new RegExp(`^\\s*(${submit.name})\\s*(.*?)^(${submit.endName ?? "None"})\\s*$`, "msu") });

  const firstMatch = (text: string): RegExpExecArray | null => {
    let best: RegExpExecArray | null = null;
    for (const { regex } of patterns) {
      regex.lastIndex = 0;
      const match = regex.exec(text);
      if (match && (best === null || match.index < best.index)) best = match;
    }
    return best;
  };

  const parts: string[] = [];
  let rest = action;
  while (rest.trim() !== "") {
    const match = firstMatch(rest);
    if (!match) {
      parts.push(rest);
      break;
    }
    const start = match.index;
    const end = start + match[0].length;
    const before = rest.slice(0, start);
    const matched = rest.slice(start, end);
    rest = rest.slice(end);
    if (before.trim() !== "") parts.push(before);
    if (matched.trim() !== "") {
      const eof = match[3]!.trim();
      if (!matched.split("\n")[0]!.trim().endsWith(`<< '${eof}'`)) {
        const guarded = matched.slice(start);
        const firstLine = guarded.split("\n")[0]!;
        parts.push(guarded.replace(firstLine, () => `${firstLine} << '${eof}'`));
      } else {
        parts.push(matched);
      }
    }
  }
  return parts.join("\n");
}
