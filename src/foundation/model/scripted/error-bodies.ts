/**
 * Error bodies as vLLM's OpenAI-compatible server sends them (scaffold-anchors §6).
 * Older builds send a flat body, newer ones nest the same fields under `error`.
 */
export type ErrorShape = "flat" | "nested";

/**
 * The three context-length wordings seen in the wild:
 * - `requested_tokens`: "However, you requested T tokens (P in the messages, C in the completion)"
 * - `max_tokens_too_large`: "'max_tokens' or 'max_completion_tokens' is too large: C …"
 * - `prompt_contains`: the newer renderer wording, "you requested C output tokens and your prompt contains at least P input tokens"
 */
export const CONTEXT_WORDINGS = ["requested_tokens", "max_tokens_too_large", "prompt_contains"] as const;
export type ContextWording = (typeof CONTEXT_WORDINGS)[number];
export const ERROR_SHAPES: readonly ErrorShape[] = ["flat", "nested"];

export interface ErrorFields {
  message: string;
  type: string;
  param: string | null;
  code: number;
}

export function errorBody(shape: ErrorShape, fields: ErrorFields): Record<string, unknown> {
  return shape === "flat" ? { object: "error", ...fields } : { error: fields };
}

export interface ContextNumbers {
  maxModelLen: number;
  promptTokens: number;
  completionTokens: number;
}

export function contextLengthMessage(wording: ContextWording, n: ContextNumbers): string {
  const { maxModelLen: max, promptTokens: p, completionTokens: c } = n;
  switch (wording) {
    case "requested_tokens":
      return (
        `This model's maximum context length is ${max} tokens. However, you requested ${p + c} tokens ` +
        `(${p} in the messages, ${c} in the completion). Please reduce the length of the messages or completion.`
      );
    case "max_tokens_too_large":
      // The trailing " None" is really there in some builds (an unset suffix formatted into the string).
      return (
        `'max_tokens' or 'max_completion_tokens' is too large: ${c}. This model's maximum context length is ` +
        `${max} tokens and your request has ${p} input tokens (${c} > ${max} - ${p}). None`
      );
    case "prompt_contains":
      return (
        `This model's maximum context length is ${max} tokens. However, you requested ${c} output tokens and ` +
        `your prompt contains at least ${p} input tokens, for a total of at least ${p + c} tokens. Please reduce ` +
        `the length of the input prompt or the number of requested output tokens. (parameter=input_tokens, value=${p})`
      );
  }
}

export function contextLengthBody(wording: ContextWording, shape: ErrorShape, n: ContextNumbers): Record<string, unknown> {
  return errorBody(shape, {
    message: contextLengthMessage(wording, n),
    type: "BadRequestError",
    param: wording === "prompt_contains" ? "input_tokens" : null,
    code: 400,
  });
}

export function serverErrorBody(shape: ErrorShape = "nested", message = "Internal server error"): Record<string, unknown> {
  return errorBody(shape, { message, type: "InternalServerError", param: null, code: 500 });
}

export function rateLimitBody(shape: ErrorShape = "nested"): Record<string, unknown> {
  return errorBody(shape, { message: "Too many requests", type: "RateLimitError", param: null, code: 429 });
}

export function notFoundBody(message: string, shape: ErrorShape = "nested"): Record<string, unknown> {
  return errorBody(shape, { message, type: "NotFoundError", param: null, code: 404 });
}

export function badRequestBody(message: string, shape: ErrorShape = "nested"): Record<string, unknown> {
  return errorBody(shape, { message, type: "BadRequestError", param: null, code: 400 });
}
