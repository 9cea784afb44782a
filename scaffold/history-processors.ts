import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { z } from "zod";

/**
 * SWE-agent's history processors (`agent.history_processors`), applied to a copy of the history
 * before every model call; the stored history and the trajectory keep the full text.
 */
export const HistoryProcessor = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("default") }),
  z.strictObject({
    type: z.literal("last_n_observations"),
    n: z.number().int().positive(),
    polling: z.number().int().positive().default(1),
    always_remove_output_for_tags: z.array(z.string()).default(["remove_output"]),
    always_keep_output_for_tags: z.array(z.string()).default(["keep_output"]),
  }),
  /** Anthropic prompt-cache marks: nothing to do for an OpenAI-compatible server. */
  z.strictObject({
    type: z.literal("cache_control"),
    last_n_messages: z.number().int().default(2),
    last_n_messages_offset: z.number().int().default(0),
    tagged_roles: z.array(z.string()).default(["user", "tool"]),
  }),
]);
export type HistoryProcessor = z.infer<typeof HistoryProcessor>;

/** A history message, with which kind it is (SWE-agent's message_type) and its tags. */
export interface HistoryEntry {
  message: ChatCompletionMessageParam;
  /** The task message and every tool answer are observations; model turns and the system prompt are not. */
  observation: boolean;
  tags?: string[];
}

export function processHistory(entries: readonly HistoryEntry[], processors: readonly HistoryProcessor[]): ChatCompletionMessageParam[] {
  let current = entries;
  for (const processor of processors) {
    if (processor.type === "last_n_observations") current = lastNObservations(current, processor);
  }
  return current.map((entry) => entry.message);
}

/**
 * Keeps the task message and the last n observations whole; each older observation becomes
 * `Old environment output: (L lines omitted)` (L counts the lines of the whole message). With
 * polling k the cut only moves every k observations, so the prompt prefix changes in jumps.
 */
function lastNObservations(
  entries: readonly HistoryEntry[],
  p: Extract<HistoryProcessor, { type: "last_n_observations" }>,
): HistoryEntry[] {
  const observations = entries.flatMap((entry, index) => (entry.observation ? [index] : []));
  const cut = Math.max(0, Math.floor(observations.length / p.polling) * p.polling - p.n);
  const elide = new Set(observations.slice(1, cut));
  return entries.map((entry, index) => {
    const tags = entry.tags ?? [];
    const remove = tags.some((tag) => p.always_remove_output_for_tags.includes(tag));
    const keep = tags.some((tag) => p.always_keep_output_for_tags.includes(tag));
    if (!entry.observation || index === observations[0] || (!remove && (keep || !elide.has(index)))) return entry;
    const text = typeof entry.message.content === "string" ? entry.message.content : JSON.stringify(entry.message.content ?? "");
    return {
      ...entry,
      message: {
        ...entry.message,
        content: `Old environment output: (${pythonLineCount(text)} lines omitted)`,
      } as ChatCompletionMessageParam,
    };
  });
}

/** len(text.splitlines()) */
function pythonLineCount(text: string): number {
  if (text === "") return 0;
  const lines = text.split(/\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/);
  return text.match(/(\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029])$/) ? lines.length - 1 : lines.length;
}
