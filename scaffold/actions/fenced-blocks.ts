import { ActionRejected, preview, syntheticId, type ModelReply, type ParseOutcome } from "./action.ts";
import { validateArguments } from "./arguments.ts";
import { shellWords, ShellWordsError } from "../shell-words.ts";
import { BASH_TOOL, toolParameters, type ToolSpec } from "../tool-schema.ts";

/**
 * Text mode (SWE-agent's thought_action): the last ``` block of the content is the action. A
 * block that starts with a tool's name calls it with shell-word arguments; any other block is
 * run in bash.
 */
export function parseFencedBlock(reply: ModelReply, tools: readonly ToolSpec[]): ParseOutcome {
  const content = reply.message.content ?? "";
  const { last, unclosedLine } = scanFences(content);
  if (last === null) {
    const detail =
      unclosedLine === null
        ? "Your last output did not contain a ``` block with a command."
        : `The \`\`\` block that starts on line ${unclosedLine} of your last output is never closed.`;
    throw new ActionRejected("missing", detail);
  }
  if (unclosedLine !== null && reply.finishReason === "length") {
    throw new ActionRejected("truncated", `The \`\`\` block that starts on line ${unclosedLine} of your last output was cut off.`);
  }
  const block = last.body;
  const before = content.slice(0, last.start).trim();
  const after = content.slice(last.end).trim();
  const thought = after === "" ? before : `${before}\n\n${after}`.trim();

  const firstWord = /^\s*(\S+)/.exec(block)?.[1];
  if (firstWord === undefined) throw new ActionRejected("missing", "The last ``` block of your output is empty.");
  const tool = tools.find((candidate) => candidate.name === firstWord && candidate.name !== BASH_TOOL);
  if (tool !== undefined) {
    const rawArguments = block.slice(block.indexOf(firstWord) + firstWord.length).trim();
    let words: string[];
    try {
      words = shellWords(rawArguments);
    } catch (error) {
      if (!(error instanceof ShellWordsError)) throw error;
      const kind = error.quote === "'" ? "single" : "double";
      const from = JSON.stringify(preview(error.input.slice(error.position), 40));
      throw new ActionRejected(
        "invalid_arg",
        `The arguments of \`${tool.name}\` could not be split into words: the ${kind} quote at ${from} is never closed.`,
        tool,
      );
    }
    const args = validateArguments(tool, assignWords(tool, words));
    return {
      ok: true,
      action: { id: syntheticId("text", tool.name, rawArguments), name: tool.name, args, rawArguments, source: "text" },
      thought,
    };
  }

  const bash = tools.find((candidate) => candidate.name === BASH_TOOL);
  if (bash === undefined) {
    throw new ActionRejected(
      "unknown_tool",
      `\`${firstWord}\` is not one of the available commands (${tools.map((t) => t.name).join(", ")}).`,
    );
  }
  const commandArgument = toolParameters(bash).required[0] ?? "command";
  const args = validateArguments(bash, { [commandArgument]: block });
  return {
    ok: true,
    action: { id: syntheticId("text", bash.name, block), name: bash.name, args, rawArguments: block, source: "text" },
    thought,
  };
}

interface FencedBlock {
  /** Offset of the opening fence line and just past the closing fence line. */
  start: number;
  end: number;
  body: string;
}

const FENCE_LINE = /^```(\S*)[^\S\n]*$/gm;

/**
 * The last top-level fenced block, as SWE-agent's thought_action parser finds it: a fence line
 * with a language tag inside a block opens a nested block, a bare one closes the innermost.
 * Also the line of a fence left open after it, if any.
 */
function scanFences(content: string): { last: FencedBlock | null; unclosedLine: number | null } {
  const open: Array<{ lineStart: number; bodyStart: number }> = [];
  let last: FencedBlock | null = null;
  for (const match of content.matchAll(FENCE_LINE)) {
    const lineStart = match.index;
    const lineEnd = lineStart + match[0].length;
    const language = match[1]!;
    if (open.length > 0 && language === "") {
      const opening = open.pop()!;
      if (open.length === 0) {
        const body = content.slice(opening.bodyStart, Math.max(opening.bodyStart, lineStart)).replace(/\r?\n$/, "");
        last = { start: opening.lineStart, end: lineEnd, body };
      }
    } else {
      open.push({ lineStart, bodyStart: Math.min(lineEnd + 1, content.length) });
    }
  }
  const unclosed = open[0];
  const unclosedLine = unclosed === undefined ? null : content.slice(0, unclosed.lineStart).split("\n").length;
  return { last, unclosedLine };
}

const FLAG = /^--([A-Za-z_][\w-]*)(?:=([\s\S]*))?$/;

/**
 * Maps the words after a tool name to its arguments: `--name value` (or `--name=value`) for any
 * argument, the other words by position (see ToolParameters.positional). An array flag takes the
 * words up to the next flag (for numbers: while they are numbers), and an array as the last
 * positional argument all remaining words.
 */
function assignWords(tool: ToolSpec, words: string[]): Record<string, unknown> {
  const { properties, positional } = toolParameters(tool);
  const hasFlags = Object.keys(properties).some((name) => !positional.includes(name));
  const isFlag = (word: string) => {
    const name = FLAG.exec(word)?.[1];
    return name !== undefined && Object.hasOwn(properties, name);
  };
  const values: Record<string, unknown> = {};
  const loose: string[] = [];
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i]!;
    const flag = FLAG.exec(word);
    if (flag === null) {
      loose.push(word);
      continue;
    }
    const name = flag[1]!;
    if (!Object.hasOwn(properties, name)) {
      if (hasFlags) throw new ActionRejected("unexpected_arg", `Unexpected argument(s) for \`${tool.name}\`: ${name}`, tool);
      loose.push(word);
      continue;
    }
    if (Object.hasOwn(values, name))
      throw new ActionRejected("invalid_arg", `\`--${name}\` of \`${tool.name}\` is given more than once.`, tool);
    if (flag[2] !== undefined) {
      values[name] = flag[2];
    } else if (properties[name]!.type === "array") {
      // Numbers stop at the first word that is not part of a number list, so positional words may follow.
      const numeric = ["integer", "number"].includes(properties[name]!.items?.type ?? "");
      const takes = (word: string) => !isFlag(word) && (!numeric || /^[\d\s,.+\-[\]]+$/.test(word));
      const items: string[] = [];
      while (i + 1 < words.length && takes(words[i + 1]!)) items.push(words[(i += 1)]!);
      if (items.length === 0) throw new ActionRejected("invalid_arg", `\`--${name}\` of \`${tool.name}\` needs at least one value.`, tool);
      values[name] = items;
    } else {
      if (i + 1 >= words.length) throw new ActionRejected("invalid_arg", `\`--${name}\` of \`${tool.name}\` needs a value.`, tool);
      values[name] = words[(i += 1)]!;
    }
  }
  const slots = positional.filter((name) => !Object.hasOwn(values, name));
  for (let k = 0; k < loose.length; k += 1) {
    const slot = slots[k];
    if (slot === undefined) {
      const extra = loose.slice(k).map((word) => JSON.stringify(preview(word, 60)));
      const hint = hasFlags ? " Optional arguments are given by name: --name value." : "";
      throw new ActionRejected("unexpected_arg", `Unexpected argument(s) for \`${tool.name}\`: ${extra.join(", ")}.${hint}`, tool);
    }
    if (properties[slot]!.type === "array" && k === slots.length - 1) {
      values[slot] = loose.slice(k);
      break;
    }
    values[slot] = loose[k];
  }
  return values;
}
