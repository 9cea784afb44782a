import { z } from "zod";
import { type ContextWording, type ErrorShape, notFoundBody, rateLimitBody, serverErrorBody } from "./error-bodies.ts";

/** A chat-completions request as the fake server parses it; unknown fields are kept. */
export const ChatRequest = z.looseObject({
  model: z.string().optional(),
  messages: z.array(z.looseObject({ role: z.string(), content: z.unknown().optional() })),
  tools: z.array(z.unknown()).optional(),
  max_tokens: z.number().int().optional(),
  stream: z.boolean().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
});
export type ChatRequest = z.infer<typeof ChatRequest>;

export interface ScriptedToolCall {
  /** Generated when absent. */
  id?: string;
  name: string;
  /** An object is JSON-encoded; a string is sent verbatim (so it can be malformed). */
  arguments: string | Record<string, unknown>;
}

/** A 200 answer. */
export interface ReplyTurn {
  type: "reply";
  content?: string | null;
  /** What a server's reasoning parser would have split off (vLLM `reasoning_content`); non-streaming only. */
  reasoningContent?: string;
  toolCalls?: ScriptedToolCall[];
  /** Default: "tool_calls" when there are tool calls, else "stop". */
  finishReason?: "stop" | "length" | "tool_calls";
}

export interface HttpErrorTurn {
  type: "http_error";
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A 400 context-length error whose numbers come from the request (or the overrides). */
export interface ContextErrorTurn {
  type: "context_error";
  wording: ContextWording;
  shape: ErrorShape;
  /** Default: the server's max_model_len, else prompt + 1 (so the prompt fits). */
  maxModelLen?: number;
  /** Default: the server's estimate of the request's prompt. */
  promptTokens?: number;
}

/**
 * The server goes quiet: before the headers, or after them. After `ms` the connection is
 * dropped (or, with `ending: "end"`, the response is ended cleanly with nothing more in it);
 * without `ms` it stays open until the client gives up or the server closes.
 */
export interface StallTurn {
  type: "stall";
  afterHeaders: boolean;
  ms?: number;
  ending?: "drop" | "end";
}

export type FaultTurn = HttpErrorTurn | ContextErrorTurn | StallTurn;

/** The first `failures` attempts of this turn get `fault`, later ones `then`. Infinity: a server that stays down. */
export interface FlakyTurn {
  type: "flaky";
  failures: number;
  fault: FaultTurn;
  then: ReplyTurn | FaultTurn;
}

export type Turn = ReplyTurn | FaultTurn | FlakyTurn;

/** A turn, or a function deciding the turn from the request (e.g. from the last observation). */
export type ScriptStep = Turn | ((request: ChatRequest) => Turn);

export interface Conversation {
  name: string;
  /** A substring of the first user message (e.g. an instance id), or a predicate over the request. */
  match: string | ((request: ChatRequest) => boolean);
  /** Turn i answers requests that already hold i assistant messages. */
  turns: ScriptStep[];
}

export const text = (content: string): ReplyTurn => ({ type: "reply", content });

export const toolCalls = (...calls: ScriptedToolCall[]): ReplyTurn => ({ type: "reply", content: null, toolCalls: calls });

/** Content cut off at max_tokens. */
export const truncated = (content: string): ReplyTurn => ({ type: "reply", content, finishReason: "length" });

/**
 * What vLLM returns when its Hermes parser fails (or is not enabled): the `<tool_call>` blocks
 * stay in `content` and `tool_calls` is empty. A string `arguments` is inlined verbatim.
 */
export function hermes(calls: Array<{ name: string; arguments: string | Record<string, unknown> }>, prefix = ""): ReplyTurn {
  const blocks = calls.map((call) => {
    const args = typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments);
    return `<tool_call>\n{"name": ${JSON.stringify(call.name)}, "arguments": ${args}}\n</tool_call>`;
  });
  return { type: "reply", content: prefix + blocks.join("\n"), finishReason: "stop" };
}

export const serverError = (shape: ErrorShape = "nested"): HttpErrorTurn => ({
  type: "http_error",
  status: 500,
  body: serverErrorBody(shape),
});

export const rateLimited = (retryAfterSeconds?: number): HttpErrorTurn => ({
  type: "http_error",
  status: 429,
  body: rateLimitBody(),
  ...(retryAfterSeconds !== undefined ? { headers: { "retry-after": String(retryAfterSeconds) } } : {}),
});

export const notFound = (message = "The model `missing` does not exist."): HttpErrorTurn => ({
  type: "http_error",
  status: 404,
  body: notFoundBody(message),
});

export const contextError = (
  wording: ContextWording,
  shape: ErrorShape,
  numbers: { maxModelLen?: number; promptTokens?: number } = {},
): ContextErrorTurn => ({ type: "context_error", wording, shape, ...numbers });

export const stall = (afterHeaders: boolean, ms?: number, ending: "drop" | "end" = "drop"): StallTurn =>
  ms === undefined ? { type: "stall", afterHeaders } : { type: "stall", afterHeaders, ms, ending };

export const failFirst = (failures: number, fault: FaultTurn, then: ReplyTurn | FaultTurn): FlakyTurn => ({
  type: "flaky",
  failures,
  fault,
  then,
});
