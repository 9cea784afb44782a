import { z } from "zod";
import type { ChatCompletionAssistantMessageParam } from "openai/resources/chat/completions";

/** A native tool call as the server returned it. Arguments stay the raw string: parsing is the agent's job. */
export const ToolCall = z.object({
  id: z.string(),
  name: z.string(),
  arguments: z.string(),
});
export type ToolCall = z.infer<typeof ToolCall>;

export const AssistantMessage = z.object({
  content: z.string().nullable(),
  toolCalls: z.array(ToolCall),
  /** What a server's reasoning parser split off the reply (vLLM `reasoning_content`). */
  reasoningContent: z.string().nullable().optional(),
});
export type AssistantMessage = z.infer<typeof AssistantMessage>;

export const TokenUsage = z.object({
  promptTokens: z.number().int(),
  completionTokens: z.number().int(),
  /** Prefix-cache hits (usage.prompt_tokens_details.cached_tokens); null when the server does not report them. */
  cachedPromptTokens: z.number().int().nullable(),
});
export type TokenUsage = z.infer<typeof TokenUsage>;

export const ModelCallResult = z.object({
  model: z.string(),
  message: AssistantMessage,
  /** "stop", "tool_calls", "length", …; null if a stream ended without one. */
  finishReason: z.string().nullable(),
  usage: TokenUsage.nullable(),
  /** Wall time of the whole call: token counting, every attempt and the backoff between them. */
  latencyMs: z.number(),
  /** HTTP requests made for this call, retries and the context-shrink retry included. */
  attempts: z.number().int().positive(),
  /** max_tokens on the request that succeeded; null when none was sent. */
  maxTokens: z.number().int().positive().nullable(),
  /** The prompt size this client budgeted with, and where the number came from. */
  promptTokenCount: z.object({ tokens: z.number().int(), source: z.enum(["tokenize", "estimate"]) }),
  /** Non-streaming: the response JSON. Streaming: the parsed chunks in arrival order. */
  raw: z.unknown(),
});
export type ModelCallResult = z.infer<typeof ModelCallResult>;

/** The assistant turn to append to the conversation so the next request extends the same prefix. */
export function toAssistantParam(message: AssistantMessage): ChatCompletionAssistantMessageParam {
  const param: ChatCompletionAssistantMessageParam = { role: "assistant", content: message.content };
  if (message.toolCalls.length > 0) {
    param.tool_calls = message.toolCalls.map((call) => ({
      id: call.id,
      type: "function",
      function: { name: call.name, arguments: call.arguments },
    }));
  }
  return param;
}
