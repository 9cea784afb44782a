import { renderJinja } from "../jinja.ts";
import { FORMAT_ERROR_TEMPLATES } from "../templates.ts";
import { TEXT_ACTION_EXAMPLE, textSignature, toolParameters, type ToolSpec } from "../tool-schema.ts";
import { ActionRejected, type ActionFormat, type ModelReply, type ParseOutcome } from "./action.ts";
import { parseFencedBlock } from "./fenced-blocks.ts";
import { parseHermesBlocks } from "./hermes-blocks.ts";
import { parseNativeCalls } from "./native-calls.ts";
import { parseXmlCall, ToolValueError, type XmlCallOptions } from "./xml-calls.ts";

export * from "./action.ts";

export interface ParseOptions {
  /** Jinja template of the message sent back on a format error; default: the format's own. */
  formatErrorTemplate?: string;
  xml?: Partial<XmlCallOptions>;
}

/**
 * Turns one model reply into exactly one tool call, or into the format error to send back.
 *
 * - "xml" (SWE-agent's xml_function_calling): a `<function=…>` call in the content; a native
 *   tool call or a Hermes block is understood too, since a server with a tool parser on turns
 *   the model's text into those.
 * - "tools" (SWE-agent's function_calling): the server's native tool calls; without them, Hermes
 *   `<tool_call>` blocks or an XML call left in the content.
 * - "text" (SWE-agent's thought_action): the last ``` block of the content.
 */
export function parseAction(reply: ModelReply, tools: readonly ToolSpec[], format: ActionFormat, options: ParseOptions = {}): ParseOutcome {
  const xml = { skipThink: false, viewRangeToEnd: false, ...options.xml };
  try {
    switch (format) {
      case "text":
        return parseFencedBlock(reply, tools);
      case "xml":
        return parseNativeCalls(reply, tools) ?? parseHermesBlocks(reply, tools) ?? parseXmlCall(reply, tools, xml);
      case "tools": {
        const found = parseNativeCalls(reply, tools) ?? parseHermesBlocks(reply, tools);
        if (found) return found;
        if ((reply.message.content ?? "").includes("<function=")) return parseXmlCall(reply, tools, xml);
        throw new ActionRejected("missing", "Your last output did not contain a tool call.");
      }
    }
  } catch (error) {
    if (!(error instanceof ActionRejected)) throw error;
    // A reply cut off by max_tokens usually fails to parse because it is incomplete, not because
    // the model got the format wrong; telling it so makes it answer shorter instead of retrying the same.
    // (Not in XML mode: SWE-agent says "No function found" there too.)
    const cutOff = format !== "xml" && reply.finishReason === "length" && (error.code === "missing" || error.code === "invalid_json");
    const rejection = cutOff ? new ActionRejected("truncated", `Cut off by the token limit. ${error.detail}`) : error;
    const message = formatErrorMessage(rejection, tools, format, options.formatErrorTemplate);
    return { ok: false, error: { code: rejection.code, detail: rejection.detail, message }, toolError: error instanceof ToolValueError };
  }
}

function formatErrorMessage(
  { code, detail, tool }: ActionRejected,
  tools: readonly ToolSpec[],
  format: ActionFormat,
  template?: string,
): string {
  const values = {
    error_code: code,
    exception_message: detail,
    exception_sentence: /[.!?]$/.test(detail) ? detail : `${detail}.`,
    has_submit: tools.some((candidate) => candidate.name === "submit"),
    tool_names: tools.map((candidate) => candidate.name).join(", "),
    tool_usage: tool === undefined ? "" : `${argumentLines(tool).join("\n")}\n`,
    usage: tool === undefined ? "" : textSignature(tool),
    action_example: TEXT_ACTION_EXAMPLE,
  };
  return renderJinja(template ?? FORMAT_ERROR_TEMPLATES[format], values, "format_error_template");
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
