import { createHash } from "node:crypto";
import { z } from "zod";
import type { AssistantMessage } from "../../src/foundation/model/model-result.ts";
import { ActionSource } from "../trajectory.ts";
import type { ToolSpec } from "../tool-schema.ts";

/** What one reply turned into: the call to run, or why there is none. Shared by every format. */

export { ActionSource };

/** How the model is asked to write its actions. */
export const ActionFormat = z.enum(["xml", "tools", "text"]);
export type ActionFormat = z.infer<typeof ActionFormat>;

export const ParsedAction = z.object({
  /** The server's tool call id; for actions found in text a hash of the action, so replays give the same id. */
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
  /** What goes back to the model (the format-error template, rendered). */
  message: z.string(),
  /** The reason alone, for logs and trajectories (SWE-agent's exception message). */
  detail: z.string(),
});
export type ActionError = z.infer<typeof ActionError>;

export type ParseOutcome =
  | { ok: true; action: ParsedAction; thought: string }
  /**
   * `toolError`: the call was well formed but a value is wrong; SWE-agent's XML parser lets such
   * calls through and the tool prints the complaint, so in XML mode it is an observation.
   */
  | { ok: false; error: ActionError; toolError?: boolean };

/** The part of a model call result that holds the action. */
export interface ModelReply {
  message: AssistantMessage;
  finishReason: string | null;
}

/** Why a reply holds no usable action; turned into an ActionError by `parseAction`. */
export class ActionRejected extends Error {
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

export function findTool(tools: readonly ToolSpec[], name: string): ToolSpec {
  const tool = tools.find((candidate) => candidate.name === name);
  if (tool === undefined) throw new ActionRejected("unknown_tool", `Command '${name}' not found in list of available commands.`);
  return tool;
}

export function syntheticId(source: ActionSource, name: string, raw: string): string {
  return `call_${createHash("sha256").update(`${source}\0${name}\0${raw}`).digest("hex").slice(0, 24)}`;
}

export function preview(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}
