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

/**
 * Plays an episode back: to a request that offers tools, the recorded tool call; to one that does
 * not (text mode), the thought and the action in a fenced block.
 */
export function replayTurn(action: Action): (request: ChatRequest) => ReplyTurn {
  return (request) =>
    request.tools && request.tools.length > 0
      ? { type: "reply", content: action.thought, toolCalls: [{ name: action.call.name, arguments: action.call.arguments }] }
      : { type: "reply", content: `${action.thought}\n\n\`\`\`\n${textAction(action)}\n\`\`\``, finishReason: "stop" };
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
      if (!parsed.success) throw new Error(`${join(dir, name)}: ${parsed.error.issues[0]!.path.join(".")}: ${parsed.error.issues[0]!.message}`);
      return parsed.data;
    });
}
