import type { ChatCompletionMessageParam, ChatCompletionTool } from "openai/resources/chat/completions";

/**
 * Estimates prompt tokens when the server cannot count them (no /tokenize). Starts at a
 * conservative 1 token per 3 UTF-8 bytes of the JSON request, then recalibrates on every
 * prompt_tokens the server reports for a prompt whose size we know.
 */
export class PromptTokenEstimator {
  private tokensPerByte = 1 / 3;

  static bytes(messages: ChatCompletionMessageParam[], tools: ChatCompletionTool[] | undefined): number {
    return Buffer.byteLength(JSON.stringify({ messages, tools: tools ?? [] }), "utf8");
  }

  estimate(bytes: number): number {
    return Math.ceil(bytes * this.tokensPerByte);
  }

  calibrate(bytes: number, promptTokens: number): void {
    if (bytes > 0 && promptTokens > 0) this.tokensPerByte = promptTokens / bytes;
  }
}

export interface BudgetInput {
  /** Configured (or per-call) ceiling on completion tokens. */
  cap: number;
  /** Null when the server did not report its context size: only the cap applies. */
  maxModelLen: number | null;
  promptTokens: number;
  margin: number;
}

/**
 * max_tokens = min(cap, max_model_len − prompt − margin). When the margin alone does not fit,
 * the margin is dropped rather than sending nothing; when even that leaves no room, 1 is sent
 * and the server's context-length error decides (an estimate may be pessimistic).
 */
export function completionBudget({ cap, maxModelLen, promptTokens, margin }: BudgetInput): number {
  if (maxModelLen === null) return cap;
  const left = maxModelLen - promptTokens;
  const withMargin = left - margin;
  return Math.max(1, Math.min(cap, withMargin > 0 ? withMargin : left));
}
