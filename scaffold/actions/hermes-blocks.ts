import { z } from "zod";
import { ActionRejected, findTool, preview, syntheticId, type ModelReply, type ParseOutcome } from "./action.ts";
import { validateArguments } from "./arguments.ts";
import { multipleCalls, parseArgumentsJson } from "./native-calls.ts";
import type { ToolSpec } from "../tool-schema.ts";

/**
 * Hermes `<tool_call>` blocks left in the content: what vLLM's hermes parser leaves there when it
 * fails to parse them, or when the server runs without a tool parser. Null when there are none.
 */
export function parseHermesBlocks(reply: ModelReply, tools: readonly ToolSpec[]): ParseOutcome | null {
  const content = reply.message.content ?? "";
  const blocks = hermesBlocks(content);
  if (blocks.length === 0) return null;
  if (blocks.length > 1) throw multipleCalls(blocks.map((block) => hermesName(block.body) ?? "?"));
  const block = blocks[0]!;
  const call = parseHermesBody(block.body, block.closed);
  const tool = findTool(tools, call.name);
  const values =
    typeof call.arguments === "string"
      ? parseArgumentsJson(call.arguments, `The arguments of your \`${tool.name}\` call (given as a string)`, tool)
      : call.arguments;
  const args = validateArguments(tool, values);
  const rawArguments = typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments);
  const thought = (content.slice(0, block.start) + content.slice(block.end)).trim();
  return {
    ok: true,
    action: { id: syntheticId("hermes", tool.name, rawArguments), name: tool.name, args, rawArguments, source: "hermes" },
    thought,
  };
}

const OPEN = "<tool_call>";
const CLOSE = "</tool_call>";

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
    const start = content.indexOf(OPEN, from);
    if (start === -1) return blocks;
    const bodyStart = start + OPEN.length;
    const close = content.indexOf(CLOSE, bodyStart);
    const nextOpen = content.indexOf(OPEN, bodyStart);
    if (close !== -1 && (nextOpen === -1 || close < nextOpen)) {
      blocks.push({ body: content.slice(bodyStart, close), start, end: close + CLOSE.length, closed: true });
      from = close + CLOSE.length;
    } else {
      const end = nextOpen === -1 ? content.length : nextOpen;
      blocks.push({ body: content.slice(bodyStart, end), start, end, closed: false });
      from = end;
    }
  }
}

const HermesCall = z.object({
  name: z.string(),
  // Models trained on other templates write "parameters"; null means no arguments.
  arguments: z.union([z.record(z.string(), z.unknown()), z.string()]).nullish(),
  parameters: z.union([z.record(z.string(), z.unknown()), z.string()]).nullish(),
});

/** The tool name of a block, if it can be read: only to name the calls in a "multiple" error. */
function hermesName(body: string): string | undefined {
  try {
    return HermesCall.pick({ name: true }).safeParse(JSON.parse(body)).data?.name;
  } catch {
    return /"name"\s*:\s*"([^"]*)"/.exec(body)?.[1];
  }
}

function parseHermesBody(body: string, closed: boolean): { name: string; arguments: Record<string, unknown> | string } {
  const unclosed = closed ? "" : ` (it has no closing ${CLOSE} tag)`;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw new ActionRejected(
      "invalid_json",
      `Your ${OPEN} block is not valid JSON${unclosed}: ${(error as Error).message}. It was: ${preview(body.trim())}`,
    );
  }
  const call = HermesCall.safeParse(value);
  if (!call.success) {
    throw new ActionRejected(
      "invalid_json",
      `Your ${OPEN} block must hold one JSON object with a "name" string and an "arguments" object${unclosed}. It was: ${preview(body.trim())}`,
    );
  }
  return { name: call.data.name, arguments: call.data.arguments ?? call.data.parameters ?? {} };
}
