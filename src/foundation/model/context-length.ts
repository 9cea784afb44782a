/**
 * Reads the numbers out of vLLM's context-length 400s. Three wordings are seen in the wild:
 *  1. "...maximum context length is N tokens. However, you requested T tokens (P in the messages, C in the completion)..."
 *  2. "'max_tokens' or 'max_completion_tokens' is too large: C. This model's maximum context length is N tokens and your request has P input tokens (C > N - P)."
 *  3. "...maximum context length is N tokens. However, you requested C output tokens and your prompt contains [at least] P input tokens, for a total of [at least] T tokens..."
 */
export interface ContextLengthNumbers {
  maxContextTokens: number;
  /** Tokens in the prompt, or null when the wording does not say. */
  promptTokens: number | null;
  /** max_tokens the server saw, or null when the wording does not say. */
  requestedCompletionTokens: number | null;
}

const MAX_CONTEXT = /maximum context length is (\d+)/;
const PROMPT_PATTERNS = [
  /\((\d+) in the messages/,
  /your request has (\d+) input tokens/,
  /prompt contains (?:at least )?(\d+) input tokens/,
  /parameter=input_tokens, value=(\d+)/,
];
const COMPLETION_PATTERNS = [/(\d+) in the completion\)/, /too large: (\d+)/, /requested (\d+) output tokens/];

function firstNumber(message: string, patterns: RegExp[]): number | null {
  for (const pattern of patterns) {
    const match = pattern.exec(message);
    if (match) return Number(match[1]);
  }
  return null;
}

/** Null when the message is not a context-length error. */
export function parseContextLengthMessage(message: string): ContextLengthNumbers | null {
  const max = MAX_CONTEXT.exec(message);
  if (!max) return null;
  return {
    maxContextTokens: Number(max[1]),
    promptTokens: firstNumber(message, PROMPT_PATTERNS),
    requestedCompletionTokens: firstNumber(message, COMPLETION_PATTERNS),
  };
}

/**
 * The error message in either of vLLM's body shapes: older builds send a flat
 * `{"object":"error","message",…}`, newer ones nest it as `{"error":{"message",…}}`.
 */
export function errorBodyMessage(body: unknown): string | null {
  if (typeof body !== "object" || body === null) return null;
  const record = body as Record<string, unknown>;
  if (typeof record.message === "string") return record.message;
  const nested = record.error;
  if (typeof nested === "object" && nested !== null && typeof (nested as Record<string, unknown>).message === "string") {
    return (nested as Record<string, string>).message!;
  }
  if (typeof nested === "string") return nested;
  return null;
}
