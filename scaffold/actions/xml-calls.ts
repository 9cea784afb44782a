import { ActionRejected, syntheticId, type ModelReply, type ParseOutcome } from "./action.ts";
import { validateArguments } from "./arguments.ts";
import { toolParameters, type ToolSpec } from "../tool-schema.ts";

/**
 * SWE-agent's `xml_function_calling` parser, case for case (reference §2):
 *
 *   <function=NAME>
 *   <parameter=KEY>VALUE</parameter>
 *   </function>
 *
 * The first complete call in the reply runs; everything else, later calls included, is the
 * thought. A line break must follow the opening tag; the name is trimmed, parameter names are
 * not; a repeated parameter keeps its last value; each value loses one leading and up to two
 * trailing line breaks (SWE-agent after #1178). `execute_bash` and `finish` name bash and submit.
 * Missing required and unexpected arguments are format errors in SWE-agent's words; a value of
 * the wrong kind is the tool's to report (an observation, not a format error), as SWE-agent
 * lets it reach the tool.
 */
export interface XmlCallOptions {
  /**
   * Look for the call outside `<think>` blocks only. SWE-agent does not (a complete call written
   * inside the reasoning is run), so the default is off.
   */
  skipThink: boolean;
  /**
   * Accept `view_range` [start, -1], which the editor's own description offers. SWE-agent's
   * parser rejects a negative end, so the default is off.
   */
  viewRangeToEnd: boolean;
}

const CALL = /<function=([^>]+)>\n([\s\S]*?)<\/function>/g;
const PARAMETER = /<parameter=([^>]+)>([\s\S]*?)<\/parameter>/g;
const THINK = /<think>[\s\S]*?(<\/think>|$)/g;
const ALIASES: Record<string, string> = { execute_bash: "bash", finish: "submit" };

/** The value was wrong, not the call: SWE-agent's tool would have printed this. */
export class ToolValueError extends ActionRejected {}

export function parseXmlCall(reply: ModelReply, tools: readonly ToolSpec[], options: XmlCallOptions): ParseOutcome {
  const content = reply.message.content ?? "";
  const match = firstCall(content, options.skipThink);
  if (match === undefined) throw new ActionRejected("missing", "No function found in model response.");
  const written = match[1]!.trim();
  const name = ALIASES[written] ?? written;
  const thought = (content.slice(0, match.index) + content.slice(match.index + match[0].length)).trim();
  const tool = tools.find((candidate) => candidate.name === name);
  if (tool === undefined) throw new ActionRejected("unknown_tool", `Command '${name}' not found in list of available commands.`);

  const body = match[2]!;
  const values: Record<string, unknown> = {};
  for (const parameter of body.matchAll(PARAMETER)) values[parameter[1]!] = cleanValue(parameter[2]!);
  if (typeof values.view_range === "string") values.view_range = viewRange(values.view_range, options.viewRangeToEnd, tool);

  const { properties, required } = toolParameters(tool);
  const missing = required.filter((key) => !Object.hasOwn(values, key));
  if (missing.length > 0) throw new ActionRejected("missing_arg", `Required argument(s) missing: ${missing.join(", ")}`, tool);
  const unexpected = Object.keys(values).filter((key) => !Object.hasOwn(properties, key));
  if (unexpected.length > 0) throw new ActionRejected("unexpected_arg", `Unexpected argument(s): ${unexpected.join(", ")}`, tool);

  let args: Record<string, unknown>;
  try {
    args = validateArguments(tool, values);
  } catch (error) {
    if (!(error instanceof ActionRejected)) throw error;
    throw new ToolValueError(error.code, error.detail, tool);
  }
  return { ok: true, action: { id: syntheticId("xml", name, body), name, args, rawArguments: body, source: "xml" }, thought };
}

function firstCall(content: string, skipThink: boolean): RegExpExecArray | undefined {
  const thinking = skipThink ? [...content.matchAll(THINK)].map((m) => [m.index, m.index + m[0].length] as const) : [];
  for (const match of content.matchAll(CALL)) {
    if (!thinking.some(([start, end]) => match.index >= start && match.index < end)) return match as RegExpExecArray;
  }
  return undefined;
}

/** Python's re.sub(r"^\n|\n$", "", value): one leading LF, and up to two trailing ones (`$` also matches before a final LF). */
export function cleanValue(value: string): string {
  const n = value.length;
  const drop = new Set<number>();
  if (value[0] === "\n") drop.add(0);
  if (value[n - 1] === "\n") drop.add(n - 1);
  if (value[n - 1] === "\n" && value[n - 2] === "\n") drop.add(n - 2);
  const start = drop.has(0) ? 1 : 0;
  const end = n - (drop.has(n - 2) ? 2 : drop.has(n - 1) && n - 1 >= start ? 1 : 0);
  return value.slice(start, Math.max(start, end));
}

/** SWE-agent's check (anchored at the start only), then JSON; where SWE-agent would crash on bad JSON, a format error. */
function viewRange(value: string, toEnd: boolean, tool: ToolSpec): unknown {
  const shape = toEnd ? /^\[\d+,\s*-?\d+\]/ : /^\[\d+,\s*\d+\]/;
  if (!shape.test(value)) throw new ActionRejected("invalid_arg", `view_range must be in the format [<start>, <end>], got ${value}.`, tool);
  try {
    return JSON.parse(value);
  } catch {
    throw new ActionRejected("invalid_json", `view_range must be a JSON list of two line numbers, got ${value}.`, tool);
  }
}
