import { createHash } from "node:crypto";
import { z } from "zod";
import type { AssistantMessage } from "../src/foundation/model/model-result.ts";
import { shellWords, ShellWordsError } from "./shell-words.ts";
import {
  BASH_TOOL,
  TEXT_ACTION_EXAMPLE,
  textSignature,
  toolParameters,
  type ArgumentSchema,
  type ToolSpec,
} from "./tool-schema.ts";

/**
 * Turns one model reply into exactly one tool call, or into the format error to send back.
 *
 * - "tools" mode (SWE-agent's function calling): the server's native tool calls; when there are
 *   none, Hermes `<tool_call>` blocks left in the content (what vLLM's hermes parser leaves there
 *   when it fails to parse them).
 * - "text" mode (SWE-agent's thought_action): the last ``` block of the content.
 *
 * Error messages follow SWE-agent's format-error templates where they have a wording, name the
 * tool and argument at fault, and end with how to call a tool correctly.
 */

export const ActionSource = z.enum(["native", "hermes", "text"]);
export type ActionSource = z.infer<typeof ActionSource>;

export const ParsedAction = z.object({
  /** The server's tool call id; for Hermes and text actions a hash of the action, so replays give the same id. */
  id: z.string(),
  name: z.string(),
  /** Arguments after validation by the tool's schema (its output side: coerced, defaults applied). */
  args: z.record(z.string(), z.unknown()),
  /** The arguments as the model wrote them: the JSON string, or the text after the tool name. */
  rawArguments: z.string(),
  source: ActionSource,
});
export type ParsedAction = z.infer<typeof ParsedAction>;

export const ActionErrorCode = z.enum([
  "missing",
  "multiple",
  "invalid_json",
  "unknown_tool",
  "missing_arg",
  "unexpected_arg",
  "invalid_arg",
  "truncated",
]);
export type ActionErrorCode = z.infer<typeof ActionErrorCode>;

export const ActionError = z.object({
  code: ActionErrorCode,
  /** What goes back to the model. */
  message: z.string(),
  /** The reason alone, for logs and trajectories (SWE-agent's exception message). */
  detail: z.string(),
});
export type ActionError = z.infer<typeof ActionError>;

export type ParseOutcome = { ok: true; action: ParsedAction; thought: string } | { ok: false; error: ActionError };

export type ActionMode = "tools" | "text";

/** The part of a model call result that holds the action. */
export interface ModelReply {
  message: AssistantMessage;
  finishReason: string | null;
}

/** Why a reply holds no usable action; turned into an ActionError by `parseAction`. */
class ActionRejected extends Error {
  constructor(
    readonly code: ActionErrorCode,
    readonly detail: string,
    /** The tool the model was calling, when known: its usage goes into the message. */
    readonly tool?: ToolSpec,
  ) {
    super(detail);
    this.name = "ActionRejected";
  }
}

export function parseAction(reply: ModelReply, tools: readonly ToolSpec[], mode: ActionMode): ParseOutcome {
  try {
    return mode === "tools" ? parseToolCall(reply, tools) : parseTextAction(reply, tools);
  } catch (error) {
    if (!(error instanceof ActionRejected)) throw error;
    // A reply cut off by max_tokens usually fails to parse because it is incomplete, not because
    // the model got the format wrong; telling it so makes it answer shorter instead of retrying the same.
    const cutOff = reply.finishReason === "length" && (error.code === "missing" || error.code === "invalid_json");
    const rejection = cutOff ? new ActionRejected("truncated", `Cut off by the token limit. ${error.detail}`) : error;
    return {
      ok: false,
      error: { code: rejection.code, detail: rejection.detail, message: errorMessage(rejection, tools, mode) },
    };
  }
}

// ---------------------------------------------------------------------------------------------
// tools mode

const HERMES_OPEN = "<tool_call>";
const HERMES_CLOSE = "</tool_call>";

function parseToolCall(reply: ModelReply, tools: readonly ToolSpec[]): ParseOutcome {
  const { toolCalls } = reply.message;
  const content = reply.message.content ?? "";
  if (toolCalls.length > 1) throw multipleCalls(toolCalls.map((call) => call.name));
  if (toolCalls.length === 1) {
    const call = toolCalls[0]!;
    const tool = findTool(tools, call.name);
    const values = parseArgumentsJson(call.arguments, `The arguments of your \`${tool.name}\` call`, tool);
    const args = checkArguments(tool, values);
    return { ok: true, action: { id: call.id, name: tool.name, args, rawArguments: call.arguments, source: "native" }, thought: content.trim() };
  }

  const blocks = hermesBlocks(content);
  if (blocks.length > 1) throw multipleCalls(blocks.map((block) => hermesName(block.body) ?? "?"));
  if (blocks.length === 0) throw new ActionRejected("missing", "Your last output did not contain a tool call.");
  const block = blocks[0]!;
  const call = parseHermesBody(block.body, block.closed);
  const tool = findTool(tools, call.name);
  const values =
    typeof call.arguments === "string"
      ? parseArgumentsJson(call.arguments, `The arguments of your \`${tool.name}\` call (given as a string)`, tool)
      : call.arguments;
  const args = checkArguments(tool, values);
  const rawArguments = typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments);
  const thought = (content.slice(0, block.start) + content.slice(block.end)).trim();
  return { ok: true, action: { id: syntheticId("hermes", tool.name, rawArguments), name: tool.name, args, rawArguments, source: "hermes" }, thought };
}

function multipleCalls(names: string[]): ActionRejected {
  return new ActionRejected("multiple", `You made ${names.length} tool calls (${names.join(", ")}); none of them was run.`);
}

interface HermesBlock {
  body: string;
  /** Offsets of the block in the content, tags included. */
  start: number;
  end: number;
  closed: boolean;
}

/** The `<tool_call>` blocks of the content. A block without its closing tag runs to the next block or the end. */
function hermesBlocks(content: string): HermesBlock[] {
  const blocks: HermesBlock[] = [];
  let from = 0;
  for (;;) {
    const start = content.indexOf(HERMES_OPEN, from);
    if (start === -1) return blocks;
    const bodyStart = start + HERMES_OPEN.length;
    const close = content.indexOf(HERMES_CLOSE, bodyStart);
    const nextOpen = content.indexOf(HERMES_OPEN, bodyStart);
    if (close !== -1 && (nextOpen === -1 || close < nextOpen)) {
      blocks.push({ body: content.slice(bodyStart, close), start, end: close + HERMES_CLOSE.length, closed: true });
      from = close + HERMES_CLOSE.length;
    } else {
      const end = nextOpen === -1 ? content.length : nextOpen;
      blocks.push({ body: content.slice(bodyStart, end), start, end, closed: false });
      from = end;
    }
  }
}

/** The tool name of a block, if it can be read: only to name the calls in a "multiple" error. */
function hermesName(body: string): string | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return isPlainObject(value) && typeof value.name === "string" ? value.name : undefined;
  } catch {
    return /"name"\s*:\s*"([^"]*)"/.exec(body)?.[1];
  }
}

const HermesCall = z.object({
  name: z.string(),
  // Models trained on other templates write "parameters"; null means no arguments.
  arguments: z.union([z.record(z.string(), z.unknown()), z.string()]).nullish(),
  parameters: z.union([z.record(z.string(), z.unknown()), z.string()]).nullish(),
});

function parseHermesBody(body: string, closed: boolean): { name: string; arguments: Record<string, unknown> | string } {
  const unclosed = closed ? "" : ` (it has no closing ${HERMES_CLOSE} tag)`;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw new ActionRejected(
      "invalid_json",
      `Your ${HERMES_OPEN} block is not valid JSON${unclosed}: ${jsonErrorText(error)}. It was: ${preview(body.trim())}`,
    );
  }
  const call = HermesCall.safeParse(value);
  if (!call.success) {
    throw new ActionRejected(
      "invalid_json",
      `Your ${HERMES_OPEN} block must hold one JSON object with a "name" string and an "arguments" object${unclosed}. It was: ${preview(body.trim())}`,
    );
  }
  return { name: call.data.name, arguments: call.data.arguments ?? call.data.parameters ?? {} };
}

/** A JSON object of arguments. Tolerates what servers and models send for "no arguments" and double encoding. */
function parseArgumentsJson(raw: string, what: string, tool: ToolSpec): Record<string, unknown> {
  // vLLM drops the arguments of parameterless tools in some builds (#28806): "" means {}.
  if (raw.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
    if (typeof value === "string") value = JSON.parse(value);
  } catch (error) {
    throw new ActionRejected("invalid_json", `${what} are not valid JSON: ${jsonErrorText(error)}. They were: ${preview(raw)}`, tool);
  }
  if (!isPlainObject(value)) {
    throw new ActionRejected("invalid_json", `${what} must be one JSON object of argument names to values, not ${preview(raw)}`, tool);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// text mode

function parseTextAction(reply: ModelReply, tools: readonly ToolSpec[]): ParseOutcome {
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
      throw new ActionRejected("invalid_arg", `The arguments of \`${tool.name}\` could not be split into words: the ${kind} quote at ${from} is never closed.`, tool);
    }
    const args = checkArguments(tool, assignWords(tool, words));
    return { ok: true, action: { id: syntheticId("text", tool.name, rawArguments), name: tool.name, args, rawArguments, source: "text" }, thought };
  }

  const bash = tools.find((candidate) => candidate.name === BASH_TOOL);
  if (bash === undefined) {
    throw new ActionRejected("unknown_tool", `\`${firstWord}\` is not one of the available commands (${toolNames(tools)}).`);
  }
  const commandArgument = toolParameters(bash).required[0] ?? "command";
  const args = checkArguments(bash, { [commandArgument]: block });
  return { ok: true, action: { id: syntheticId("text", bash.name, block), name: bash.name, args, rawArguments: block, source: "text" }, thought };
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
    if (Object.hasOwn(values, name)) throw new ActionRejected("invalid_arg", `\`--${name}\` of \`${tool.name}\` is given more than once.`, tool);
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

// ---------------------------------------------------------------------------------------------
// arguments

function findTool(tools: readonly ToolSpec[], name: string): ToolSpec {
  const tool = tools.find((candidate) => candidate.name === name);
  if (tool === undefined) throw new ActionRejected("unknown_tool", `Command '${name}' not found in list of available commands.`);
  return tool;
}

/**
 * SWE-agent's checks in its order (missing, then unexpected arguments), then the tool's own
 * schema. A null optional argument counts as absent (SWE-agent #1159: models send null for
 * arguments they do not use).
 */
function checkArguments(tool: ToolSpec, given: Record<string, unknown>): Record<string, unknown> {
  const { properties, required } = toolParameters(tool);
  const values: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(given)) {
    if (value === null && !required.includes(name)) continue;
    values[name] = value;
  }
  const missing = required.filter((name) => values[name] === undefined || values[name] === null);
  if (missing.length > 0) throw new ActionRejected("missing_arg", `Required argument(s) missing for \`${tool.name}\`: ${missing.join(", ")}`, tool);
  const unexpected = Object.keys(values).filter((name) => !Object.hasOwn(properties, name));
  if (unexpected.length > 0) throw new ActionRejected("unexpected_arg", `Unexpected argument(s) for \`${tool.name}\`: ${unexpected.join(", ")}`, tool);
  for (const [name, value] of Object.entries(values)) values[name] = coerce(value, properties[name]!);

  const result = tool.schema.safeParse(values);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const argument = issue.path.length > 0 ? issue.path.map((part, index) => (index === 0 ? String(part) : `[${String(part)}]`)).join("") : null;
  if (issue.code === "unrecognized_keys") {
    throw new ActionRejected("unexpected_arg", `Unexpected argument(s) for \`${tool.name}\`: ${issue.keys.join(", ")}`, tool);
  }
  if (argument === null) throw new ActionRejected("invalid_arg", `Invalid arguments for \`${tool.name}\`: ${issue.message}`, tool);
  const got = valueAt(values, issue.path);
  const gotText = got === undefined ? "" : ` (got ${preview(JSON.stringify(got) ?? String(got), 80)})`;
  throw new ActionRejected("invalid_arg", `Invalid value for argument \`${argument}\` of \`${tool.name}\`: ${issue.message}${gotText}`, tool);
}

/**
 * Text arrives as strings (always in text mode, sometimes from tool calls): "5" for an integer,
 * "[1, 10]" or "1 10" for an array of integers, "true" for a boolean. Anything else is left for the
 * schema to reject with its own message.
 */
function coerce(value: unknown, schema: ArgumentSchema): unknown {
  switch (schema.type) {
    case "integer":
      return typeof value === "string" && /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : value;
    case "number":
      return typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)) ? Number(value) : value;
    case "boolean":
      return typeof value === "string" && /^(true|false)$/i.test(value.trim()) ? value.trim().toLowerCase() === "true" : value;
    case "array": {
      const items = schema.items;
      let list: unknown = value;
      if (typeof value === "string" || (Array.isArray(value) && value.every((item) => typeof item === "string"))) {
        const text = typeof value === "string" ? value : value.join(" ");
        if (text.trim().startsWith("[")) {
          try {
            list = JSON.parse(text);
          } catch {
            return value;
          }
        } else if (items?.type === "integer" || items?.type === "number") {
          list = text.split(/[\s,]+/).filter((part) => part !== "");
        }
      }
      return Array.isArray(list) && items !== undefined ? list.map((item) => coerce(item, items)) : list;
    }
    default:
      return value;
  }
}

// ---------------------------------------------------------------------------------------------
// messages

function errorMessage(rejection: ActionRejected, tools: readonly ToolSpec[], mode: ActionMode): string {
  const lines = mode === "tools" ? toolsModeLines(rejection, tools) : textModeLines(rejection, tools);
  return lines.join("\n");
}

function toolsModeLines({ code, detail, tool }: ActionRejected, tools: readonly ToolSpec[]): string[] {
  const howTo = `Call exactly one tool per response with the function call format: the tool's name and a JSON object of its arguments. Available tools: ${toolNames(tools)}.`;
  const hasSubmit = tools.some((candidate) => candidate.name === "submit");
  switch (code) {
    case "missing":
      return [
        "Your last output did not use any tool calls!",
        "Please make sure your output includes exactly _ONE_ function call!",
        "You must invoke the function directly using the function call format.",
        "You cannot invoke commands with ```, you have to use the function call format.",
        ...(hasSubmit
          ? [
              "If you think you have already resolved the issue, please submit your changes by running the `submit` command.",
              "If you think you cannot solve the problem, please run `submit`.",
              "Else, please continue with a new tool call!",
            ]
          : ["Please continue with a new tool call!"]),
        howTo,
      ];
    case "multiple":
      return [
        "Your last output included multiple tool calls!",
        "Please make sure your output includes a thought and exactly _ONE_ function call.",
        detail,
        howTo,
      ];
    case "truncated":
      return [
        "Your last output was cut off: it reached the output token limit (finish_reason=length) before it contained a complete tool call, so nothing was run.",
        "Respond more concisely: keep your reasoning short and end with exactly one tool call.",
        howTo,
      ];
    case "unexpected_arg":
      return [
        `Your action could not be parsed properly: ${sentence(detail)}`,
        "Make sure your function call doesn't include any extra arguments that are not in the allowed arguments, and only use the allowed commands.",
        ...(tool === undefined ? [] : argumentLines(tool)),
        howTo,
      ];
    default:
      return [
        `Your action could not be parsed properly: ${sentence(detail)}`,
        ...(tool === undefined ? [] : argumentLines(tool)),
        howTo,
      ];
  }
}

function textModeLines({ code, detail, tool }: ActionRejected, tools: readonly ToolSpec[]): string[] {
  const hasBash = tools.some((candidate) => candidate.name === BASH_TOOL);
  const howTo =
    `End your response with exactly one \`\`\` block holding one command. Available commands: ${toolNames(tools)}.` +
    (hasBash ? " A block that does not start with one of them is run in bash." : "");
  switch (code) {
    case "missing":
      return [
        "Your output was not formatted correctly. You must always include one discussion and one command as part of your response. Make sure you do not have multiple discussion/command tags.",
        detail,
        "Please make sure your output precisely matches the following format:",
        TEXT_ACTION_EXAMPLE,
        howTo,
      ];
    case "truncated":
      return [
        "Your last output was cut off: it reached the output token limit (finish_reason=length) before it contained a complete command block, so nothing was run.",
        "Respond more concisely: keep your discussion short and end with exactly one command in a ``` block.",
        howTo,
      ];
    default:
      return [
        `Your action could not be parsed properly: ${sentence(detail)}`,
        ...(tool === undefined ? [] : [`Usage: ${textSignature(tool)}`, ...argumentLines(tool)]),
        howTo,
      ];
  }
}

/** The arguments of a tool, for an error message: names, types, which are required, allowed values. */
function argumentLines(tool: ToolSpec): string[] {
  const { properties, required } = toolParameters(tool);
  const names = Object.keys(properties);
  if (names.length === 0) return [`\`${tool.name}\` takes no arguments.`];
  return [
    `\`${tool.name}\` takes these arguments:`,
    ...names.map((name) => {
      const schema = properties[name]!;
      const type = schema.type === "array" && schema.items !== undefined ? `array of ${schema.items.type}` : schema.type;
      const allowed = schema.enum === undefined ? "" : `: one of ${schema.enum.join(", ")}`;
      return `  - ${name} (${type}) [${required.includes(name) ? "required" : "optional"}]${allowed}`;
    }),
  ];
}

function toolNames(tools: readonly ToolSpec[]): string {
  return tools.map((tool) => tool.name).join(", ");
}

// ---------------------------------------------------------------------------------------------
// small helpers

/** Ends a detail with a full stop unless it has one. */
function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

function syntheticId(source: ActionSource, name: string, raw: string): string {
  return `call_${createHash("sha256").update(`${source}\0${name}\0${raw}`).digest("hex").slice(0, 24)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function jsonErrorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function preview(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

function valueAt(values: Record<string, unknown>, path: readonly PropertyKey[]): unknown {
  let current: unknown = values;
  for (const key of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
