import { z } from "zod";

/**
 * Sampling parameters sent on every request. vLLM otherwise applies the checkpoint's
 * generation_config.json defaults, which would make runs depend on the served weights' folder.
 */
export const SamplingConfig = z.object({
  /** Greedy by default: evaluation runs should be reproducible. */
  temperature: z.number().min(0).default(0),
  topP: z.number().gt(0).max(1).default(1),
  /** Null: not sent (SWE-agent sends none). */
  seed: z.number().int().nullable().default(0),
  /**
   * Upper bound on completion tokens; the value sent is also bounded by the context left. Null:
   * no max_tokens is sent and the server's default applies (about the rest of the context), as
   * SWE-agent does for a vLLM model.
   */
  maxTokens: z.number().int().positive().nullable().default(4096),
});
export type SamplingConfig = z.infer<typeof SamplingConfig>;

/** Bounded, jittered exponential backoff for 429, 5xx, timeouts and dropped connections. */
export const RetryPolicy = z.object({
  /** Requests made before giving up on a transient failure (the first one included). */
  maxAttempts: z.number().int().positive().default(8),
  /** Delay before the first retry; doubles per retry, then jittered down to half at random. */
  baseDelayMs: z.number().int().nonnegative().default(1_000),
  maxDelayMs: z.number().int().nonnegative().default(60_000),
  /** A server's Retry-After is honoured up to this long. */
  maxRetryAfterMs: z.number().int().nonnegative().default(120_000),
});
export type RetryPolicy = z.infer<typeof RetryPolicy>;

export const ModelConfig = z.object({
  /** OpenAI-compatible base URL including `/v1`; falls back to env OPENAI_BASE_URL. */
  baseURL: z.url().optional(),
  /** Falls back to env OPENAI_API_KEY; vLLM without --api-key accepts any placeholder. */
  apiKey: z.string().optional(),
  /** Served model name; discovered from /v1/models (first entry) when absent. */
  model: z.string().min(1).optional(),
  /** Overrides the max_model_len that /v1/models reports. */
  maxModelLen: z.number().int().positive().optional(),
  sampling: SamplingConfig.prefault({}),
  /**
   * vLLM-only request fields (top_k, repetition_penalty, min_p, chat_template_kwargs, …), merged
   * into the request body. The fields this client sets itself take precedence.
   */
  extraBody: z.record(z.string(), z.unknown()).default({}),
  /** Tokens kept free between prompt + max_tokens and max_model_len, to absorb count drift. */
  contextMarginTokens: z.number().int().nonnegative().default(64),
  /**
   * Count prompt tokens with vLLM's `POST /tokenize` before each call. When the server lacks it,
   * an estimate calibrated on the last reported usage.prompt_tokens is used instead.
   */
  useTokenize: z.boolean().default(true),
  /** Whole-attempt deadline (headers and body, or the whole stream). Long: a 72B model at 32k context is slow. */
  requestTimeoutMs: z.number().int().positive().default(600_000),
  tokenizeTimeoutMs: z.number().int().positive().default(30_000),
  retry: RetryPolicy.prefault({}),
  /** Non-streaming by default: vLLM's streamed tool-call parsing has known defects (#10395, #22885). */
  stream: z.boolean().default(false),
});
export type ModelConfig = z.infer<typeof ModelConfig>;
export type ModelConfigInput = z.input<typeof ModelConfig>;

export class ModelConfigError extends Error {
  constructor(
    readonly field: string,
    readonly expected: string,
  ) {
    super(`model config: ${field}: expected ${expected}`);
    this.name = "ModelConfigError";
  }
}

export interface ResolvedModelConfig extends ModelConfig {
  baseURL: string;
  apiKey: string;
}

/** Validates the config and fills base URL and key from the environment. */
export function resolveModelConfig(input: ModelConfigInput, env: Record<string, string | undefined> = process.env): ResolvedModelConfig {
  const parsed = ModelConfig.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ModelConfigError(issue.path.join(".") || "(root)", issue.message);
  }
  const baseURL = parsed.data.baseURL ?? env.OPENAI_BASE_URL;
  if (!baseURL) throw new ModelConfigError("baseURL", "a URL in the config or in env OPENAI_BASE_URL");
  if (!URL.canParse(baseURL)) throw new ModelConfigError("baseURL", `a valid URL, got ${JSON.stringify(baseURL)}`);
  return { ...parsed.data, baseURL, apiKey: parsed.data.apiKey ?? env.OPENAI_API_KEY ?? "EMPTY" };
}
