import { ActionRejected, findTool, preview, type ModelReply, type ParseOutcome } from "./action.ts";
import { validateArguments } from "./arguments.ts";
import type { ToolSpec } from "../tool-schema.ts";

/** The server's native tool calls (SWE-agent's function_calling): exactly one is run. Null when there are none. */
export function parseNativeCalls(reply: ModelReply, tools: readonly ToolSpec[]): ParseOutcome | null {
  const { toolCalls } = reply.message;
  if (toolCalls.length === 0) return null;
  if (toolCalls.length > 1) throw multipleCalls(toolCalls.map((call) => call.name));
  const call = toolCalls[0]!;
  const tool = findTool(tools, call.name);
  const args = validateArguments(tool, parseArgumentsJson(call.arguments, `The arguments of your \`${tool.name}\` call`, tool));
  return {
    ok: true,
    action: { id: call.id, name: tool.name, args, rawArguments: call.arguments, source: "native" },
    thought: (reply.message.content ?? "").trim(),
  };
}

export function multipleCalls(names: string[]): ActionRejected {
  return new ActionRejected("multiple", `You made ${names.length} tool calls (${names.join(", ")}); none of them was run.`);
}

/** A JSON object of arguments. Tolerates what servers and models send for "no arguments" and double encoding. */
export function parseArgumentsJson(raw: string, what: string, tool: ToolSpec): Record<string, unknown> {
  // vLLM drops the arguments of parameterless tools in some builds (#28806): "" means {}.
  if (raw.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
    if (typeof value === "string") value = JSON.parse(value);
  } catch (error) {
    throw new ActionRejected("invalid_json", `${what} are not valid JSON: ${(error as Error).message}. They were: ${preview(raw)}`, tool);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ActionRejected("invalid_json", `${what} must be one JSON object of argument names to values, not ${preview(raw)}`, tool);
  }
  return value as Record<string, unknown>;
}
