import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { ChatRequest, Conversation, ReplyTurn } from "./script.ts";

/** A recorded episode: what the model said and called, turn by turn (tasks/fixtures/episodes/). */
export const RecordedEpisode = z.object({
  instance_id: z.string(),
  description: z.string(),
  actions: z.array(
    z.object({
      thought: z.string(),
      call: z.object({ name: z.string(), arguments: z.record(z.string(), z.unknown()) }),
    }),
  ),
});
export type RecordedEpisode = z.infer<typeof RecordedEpisode>;
type Action = RecordedEpisode["actions"][number];

const quote = (value: string) => `'${value.replaceAll("'", "'\\''")}'`;

/**
 * The action as a text-mode block (SWE-agent's command syntax): a bash command as is, another
 * tool as its name, the required arguments in schema order, the optional ones as --name value.
 */
export function textAction(action: Action): string {
  const { name, arguments: args } = action.call;
  if (name === "bash") return String(args.command);
  const positional = name === "str_replace_editor" ? ["command", "path"] : Object.keys(args);
  const words = [name, ...positional.filter((key) => key in args).map((key) => quote(String(args[key])))];
  for (const [key, value] of Object.entries(args)) {
    if (positional.includes(key)) continue;
    words.push(`--${key}`, typeof value === "string" ? quote(value) : quote(JSON.stringify(value)));
  }
  return words.join(" ");
}

/** Values SWE-smith's training data writes on lines of their own (block style); the rest inline. */
const BLOCK_PARAMETERS = new Set(["old_str", "new_str", "file_text"]);

/**
 * The action as an XML function call in SWE-agent's format, laid out as SWE-smith's training
 * data is. A block value gets one extra line break after it when it ends with one, so SWE-agent's
 * value cleanup (one leading and up to two trailing line breaks removed) gives it back exactly.
 */
export function xmlAction(action: Action): string {
  const parameters = Object.entries(action.call.arguments).map(([key, value]) => {
    const text = typeof value === "string" ? value : JSON.stringify(value).replaceAll(",", ", ");
    return BLOCK_PARAMETERS.has(key)
      ? `<parameter=${key}>\n${text}\n${text.endsWith("\n") ? "\n" : ""}</parameter>`
      : `<parameter=${key}>${text}</parameter>`;
  });
  return [`<function=${action.call.name}>`, ...parameters, "</function>"].join("\n");
}

/** The agent documents XML function calls in its system prompt: the model is to answer in them. */
function wantsXml(request: ChatRequest): boolean {
  const system = request.messages.find((message) => message.role === "system" || message.role === "user");
  return typeof system?.content === "string" && system.content.includes("<function=");
}

/**
 * Plays an episode back: to a request that offers tools, the recorded tool call; to one whose
 * prompt documents XML function calls, the thought and the call in XML; otherwise (text mode)
 * the thought and the action in a fenced block.
 */
export function replayTurn(action: Action): (request: ChatRequest) => ReplyTurn {
  return (request) => {
    if (request.tools && request.tools.length > 0) {
      return { type: "reply", content: action.thought, toolCalls: [{ name: action.call.name, arguments: action.call.arguments }] };
    }
    if (wantsXml(request)) return { type: "reply", content: `${action.thought}\n\n${xmlAction(action)}`, finishReason: "stop" };
    return { type: "reply", content: `${action.thought}\n\n\`\`\`\n${textAction(action)}\n\`\`\``, finishReason: "stop" };
  };
}

/** The episode as a conversation of the scripted server, recognised by `match` in the first user message. */
export function episodeConversation(episode: RecordedEpisode, match: string = episode.instance_id): Conversation {
  return { name: episode.instance_id, match, turns: episode.actions.map(replayTurn) };
}

/** Every recorded episode in a folder (one JSON file each). */
export function loadRecordedEpisodes(dir: string): RecordedEpisode[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((name) => {
      const parsed = RecordedEpisode.safeParse(JSON.parse(readFileSync(join(dir, name), "utf8")));
      if (!parsed.success)
        throw new Error(`${join(dir, name)}: ${parsed.error.issues[0]!.path.join(".")}: ${parsed.error.issues[0]!.message}`);
      return parsed.data;
    });
}
