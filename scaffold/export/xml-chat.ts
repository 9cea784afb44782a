import { pythonStr } from "../bundles/python-value.ts";
import { renderXmlFunctionDocs, XML_CALL_FORMAT, type CommandDoc } from "../command-docs.ts";
import { conversation, messageText, type Trajectory, type TrajectoryMessage, type TrajectoryStep } from "../trajectory.ts";

/**
 * A trajectory as one chat record in SWE-agent's XML function-calling training format (the
 * format of SWE-smith's `ft_xml` data and of daVinci-Dev's fine-tuning): every assistant turn is
 * plain text, reasoning first (a server's separate reasoning inside `<think>…</think>`), then one
 * `<function=NAME>` block; tool results are user turns; no `tools` field, since the tools are
 * documented in the system prompt. Replies written in XML are kept exactly as the model wrote
 * them; native tool calls (and Hermes or fenced-block replies) are rewritten into the block
 * SWE-smith's conversion writes. The record ends with the last assistant turn.
 */

export interface XmlChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface XmlChatOptions {
  /**
   * The system prompt for a trajectory whose tools were sent as a `tools` array (native calls):
   * its system message says nothing of the tools, so the caller documents them in XML here.
   */
  systemForTools?: (system: string, tools: readonly unknown[]) => string;
}

/** Arguments whose value SWE-smith writes on lines of its own. */
const BLOCK_ARGUMENTS = new Set(["old_str", "new_str", "file_text"]);

/** One call as an XML function block, arguments in the call's order (SWE-smith's `transform_traj_xml` layout). */
export function xmlFunctionCall(name: string, args: Record<string, unknown>): string {
  let out = `<function=${name}>\n`;
  for (const [key, value] of Object.entries(args)) {
    out += BLOCK_ARGUMENTS.has(key)
      ? `<parameter=${key}>\n${pythonStr(value)}\n</parameter>\n`
      : `<parameter=${key}>${pythonStr(value)}</parameter>\n`;
  }
  return `${out}</function>`;
}

function thinkBlock(reasoning: string | null | undefined, content: string): string {
  if (!reasoning || content.includes("<think>")) return "";
  return `<think>\n${reasoning}\n</think>\n\n`;
}

/** The assistant turn of a step in the XML format. */
export function xmlAssistantTurn(step: TrajectoryStep, message: TrajectoryMessage): string {
  const content = messageText(message.content);
  const reasoning = step.response.reasoning_content;
  if (!step.action || step.action.source === "xml") return thinkBlock(reasoning, content) + content;
  const thought = (step.thought ?? "").trim();
  return thinkBlock(reasoning, thought) + (thought ? `${thought}\n\n` : "") + xmlFunctionCall(step.action.tool, step.action.args);
}

export function xmlChatMessages(trajectory: Trajectory, options: XmlChatOptions = {}): XmlChatMessage[] {
  const stepOf = new Map<TrajectoryMessage, TrajectoryStep>();
  for (const step of trajectory.steps)
    for (const message of step.messages_added) if (message.role === "assistant") stepOf.set(message, step);
  const messages: XmlChatMessage[] = [];
  for (const message of conversation(trajectory)) {
    const content = messageText(message.content);
    if (message.role === "system") {
      const documented =
        trajectory.tools.length > 0 && options.systemForTools ? options.systemForTools(content, trajectory.tools) : content;
      messages.push({ role: "system", content: documented });
    } else if (message.role === "assistant") {
      const step = stepOf.get(message);
      messages.push({ role: "assistant", content: step ? xmlAssistantTurn(step, message) : content });
    } else {
      // Tool results (and format errors, where they stayed in the history) come back as user turns.
      const previous = messages.at(-1);
      // Several tool messages answering one reply's calls carry the same observation: keep one.
      if (message.role === "tool" && previous?.role === "user" && messages.at(-2)?.role === "assistant" && previous.content === content)
        continue;
      messages.push({ role: "user", content });
    }
  }
  while (messages.length > 0 && messages.at(-1)!.role !== "assistant") messages.pop();
  return messages;
}

export function xmlChatRecord(
  trajectory: Trajectory,
  extra: Record<string, unknown> = {},
  options: XmlChatOptions = {},
): Record<string, unknown> {
  return {
    messages: xmlChatMessages(trajectory, options),
    instance_id: trajectory.instance_id,
    exit_status: trajectory.exit_status,
    ...extra,
  };
}

interface FunctionSchema {
  function?: {
    name?: string;
    description?: string;
    parameters?: { properties?: Record<string, { type?: string; description?: string; enum?: unknown[] }>; required?: string[] };
  };
}

/**
 * The system prompt of a native-call trajectory in the XML format: its tools (sent as a `tools`
 * array) documented after it as the XML configuration documents them.
 */
export function systemWithXmlTools(system: string, tools: readonly unknown[]): string {
  const docs: CommandDoc[] = tools.map((tool) => {
    const fn = (tool as FunctionSchema).function ?? {};
    const properties = fn.parameters?.properties ?? {};
    const required = fn.parameters?.required ?? [];
    return {
      name: fn.name ?? "",
      docstring: fn.description ?? "",
      signature: null,
      arguments: Object.entries(properties).map(([name, schema]) => ({
        name,
        type: schema.type ?? "string",
        description: schema.description ?? "",
        required: required.includes(name),
        enum: schema.enum ? schema.enum.map(String) : null,
      })),
    };
  });
  return `${system}\n\nYou have access to the following functions:\n\n${renderXmlFunctionDocs(docs)}\n\n\n${XML_CALL_FORMAT}`;
}
