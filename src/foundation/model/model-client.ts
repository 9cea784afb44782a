import OpenAI from "openai";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
  ChatCompletionMessageToolCall,
  ChatCompletionTool,
  ChatCompletionToolChoiceOption,
} from "openai/resources/chat/completions";
import type { CompletionUsage } from "openai/resources/completions";
import { runAttempt } from "./attempt.ts";
import type { ChatModel } from "./chat-model.ts";
import { errorBodyNestingFetch } from "./error-body-fetch.ts";
import { resolveModelConfig, type ModelConfigInput, type ResolvedModelConfig } from "./model-config.ts";
import { ContextLengthError, ModelCallAbortedError, ModelNotServedError, ModelRequestError, TransientFailure } from "./model-errors.ts";
import type { AssistantMessage, ModelCallResult, TokenUsage } from "./model-result.ts";
import { retryTransient } from "./retry-policy.ts";
import { StreamAssembler } from "./stream-assembly.ts";
import { completionBudget, PromptTokenEstimator } from "./token-budget.ts";

export interface ModelRequest {
  messages: ChatCompletionMessageParam[];
  /** Sent with `tool_choice` (default "auto") when non-empty. */
  tools?: ChatCompletionTool[] | undefined;
  toolChoice?: ChatCompletionToolChoiceOption | undefined;
  /** A lower completion cap for this call only. */
  maxTokens?: number | undefined;
  /** Aborts the call (and its backoff) with ModelCallAbortedError. */
  signal?: AbortSignal | undefined;
  /** Streaming only: each piece of content or tool-call arguments as it arrives. */
  onDelta?: ((delta: { kind: "content" | "arguments"; text: string }) => void) | undefined;
}

/** Told the outcome of every chat request this client makes, for an endpoint's health. */
export interface AttemptObserver {
  /** `failure` is null when the request was answered (a 4xx is an answer too). */
  onAttempt(failure: TransientFailure | null): void;
}

export interface Discovery {
  model: string;
  /** vLLM's `max_model_len` for that model; null when the server does not report one. */
  maxModelLen: number | null;
  served: string[];
}

export interface PromptTokenCount {
  tokens: number;
  source: "tokenize" | "estimate";
}

interface AttemptOutcome {
  model: string;
  message: AssistantMessage;
  finishReason: string | null;
  usage: TokenUsage | null;
  raw: unknown;
}

function toUsage(usage: CompletionUsage | null | undefined): TokenUsage | null {
  if (!usage) return null;
  return {
    promptTokens: usage.prompt_tokens,
    completionTokens: usage.completion_tokens,
    cachedPromptTokens: usage.prompt_tokens_details?.cached_tokens ?? null,
  };
}

function toToolCalls(calls: ChatCompletionMessageToolCall[] | undefined) {
  return (calls ?? []).flatMap((call) =>
    call.type === "function" ? [{ id: call.id, name: call.function.name, arguments: call.function.arguments }] : [],
  );
}

/** vLLM serves /tokenize at the server root, beside /v1 rather than under it. */
function tokenizeURL(baseURL: string): string {
  const url = new URL(baseURL);
  url.pathname = url.pathname.replace(/\/v1\/?$/, "").replace(/\/$/, "") + "/tokenize";
  return url.toString();
}

/**
 * Chat completions against an OpenAI-compatible server (vLLM first), through the `openai`
 * package with its own retries disabled: retries, the max_tokens budget and context-length
 * handling are this class's policy, so they are visible in each result's `attempts`.
 */
export class ModelClient implements ChatModel {
  readonly config: ResolvedModelConfig;
  /** Set by whoever watches this server's health (an endpoint pool). */
  observer: AttemptObserver | null = null;
  private readonly openai: OpenAI;
  private readonly estimator = new PromptTokenEstimator();
  private discovery: Promise<Discovery> | null = null;
  private tokenizeAvailable: boolean;
  /** Context size learned from a server's context-length error when nothing else reported it. */
  private learnedMaxModelLen: number | null = null;

  constructor(config: ModelConfigInput, env: Record<string, string | undefined> = process.env) {
    this.config = resolveModelConfig(config, env);
    this.tokenizeAvailable = this.config.useTokenize;
    this.openai = new OpenAI({
      baseURL: this.config.baseURL,
      apiKey: this.config.apiKey,
      maxRetries: 0,
      timeout: this.config.requestTimeoutMs,
      fetch: errorBodyNestingFetch(),
    });
  }

  /** Reads /v1/models once (retried like any call): the model id and its max_model_len. */
  discover(signal?: AbortSignal): Promise<Discovery> {
    this.discovery ??= this.readModels(signal).catch((error: unknown) => {
      this.discovery = null; // let a later call try again
      throw error;
    });
    return this.discovery;
  }

  private async readModels(signal: AbortSignal | undefined): Promise<Discovery> {
    const url = this.config.baseURL;
    let attempts = 0;
    const page = await retryTransient({ url, policy: this.config.retry, signal, attempts: () => attempts }, () => {
      attempts += 1;
      return runAttempt({ url, timeoutMs: this.config.requestTimeoutMs, signal, attempts }, (attemptSignal) =>
        this.openai.models.list({ signal: attemptSignal }),
      );
    });
    const entries = page.data as Array<{ id: string; max_model_len?: unknown }>;
    const served = entries.map((entry) => entry.id);
    const wanted = this.config.model ?? served[0];
    const entry = entries.find((candidate) => candidate.id === wanted);
    if (!wanted || !entry) throw new ModelNotServedError(url, wanted ?? "(any)", served);
    const maxModelLen = typeof entry.max_model_len === "number" ? entry.max_model_len : null;
    return { model: entry.id, maxModelLen, served };
  }

  /**
   * One request to /v1/models, no retries: the ids served, or null when the server does not
   * answer within `timeoutMs`. For probing a server taken out of rotation.
   */
  async probe(timeoutMs: number): Promise<string[] | null> {
    try {
      const page = await runAttempt({ url: this.config.baseURL, timeoutMs, attempts: 1 }, (signal) => this.openai.models.list({ signal }));
      return (page.data as Array<{ id: string }>).map((entry) => entry.id);
    } catch {
      return null;
    }
  }

  private async target(signal: AbortSignal | undefined): Promise<{ model: string; maxModelLen: number | null }> {
    const { model, maxModelLen } = this.config;
    if (model && maxModelLen) return { model, maxModelLen };
    const found = await this.discover(signal);
    return { model: model ?? found.model, maxModelLen: maxModelLen ?? found.maxModelLen ?? this.learnedMaxModelLen };
  }

  /**
   * Prompt tokens as the server will count them: vLLM's `POST /tokenize` renders the chat
   * template with the same messages and tools. Falls back to the calibrated estimate when the
   * endpoint is missing (remembered) or fails (this call only).
   */
  async countPromptTokens(
    messages: ChatCompletionMessageParam[],
    tools?: ChatCompletionTool[],
    signal?: AbortSignal,
  ): Promise<PromptTokenCount> {
    if (this.tokenizeAvailable) {
      const { model } = await this.target(signal);
      const chatTemplateKwargs = this.config.extraBody.chat_template_kwargs;
      const body = {
        model,
        messages,
        add_generation_prompt: true,
        ...(tools && tools.length > 0 ? { tools } : {}),
        ...(chatTemplateKwargs !== undefined ? { chat_template_kwargs: chatTemplateKwargs } : {}),
      };
      const url = tokenizeURL(this.config.baseURL);
      try {
        const response = await runAttempt({ url, timeoutMs: this.config.tokenizeTimeoutMs, signal, attempts: 1 }, (attemptSignal) =>
          this.openai.post<{ count?: unknown }>(url, { body, signal: attemptSignal }),
        );
        if (typeof response.count === "number") return { tokens: response.count, source: "tokenize" };
      } catch (error) {
        if (error instanceof ModelCallAbortedError) throw error;
        // A 4xx means this server has no usable /tokenize (missing, or too old for `tools`).
        if (error instanceof ModelRequestError) this.tokenizeAvailable = false;
      }
    }
    return { tokens: this.estimator.estimate(PromptTokenEstimator.bytes(messages, tools)), source: "estimate" };
  }

  /**
   * One assistant turn. Throws ContextLengthError (prompt does not fit, or still not after one
   * shrink of max_tokens), ModelUnavailableError (transient failures exhausted),
   * ModelRequestError (other 4xx), ModelCallAbortedError (caller's signal).
   */
  async complete(request: ModelRequest): Promise<ModelCallResult> {
    const started = performance.now();
    const { signal } = request;
    const { model, maxModelLen } = await this.target(signal);
    const promptBytes = PromptTokenEstimator.bytes(request.messages, request.tools);
    const prompt = await this.countPromptTokens(request.messages, request.tools, signal);
    if (prompt.source === "tokenize" && maxModelLen !== null && prompt.tokens >= maxModelLen) {
      throw new ContextLengthError(
        { maxContextTokens: maxModelLen, promptTokens: prompt.tokens, requestedCompletionTokens: null },
        "preflight",
        0,
        `/tokenize counted ${prompt.tokens} prompt tokens, max_model_len is ${maxModelLen}`,
      );
    }
    const cap = request.maxTokens ?? this.config.sampling.maxTokens;
    let maxTokens =
      cap === null ? null : completionBudget({ cap, maxModelLen, promptTokens: prompt.tokens, margin: this.config.contextMarginTokens });

    let attempts = 0;
    const url = this.config.baseURL;
    const send = () =>
      retryTransient({ url, policy: this.config.retry, signal, attempts: () => attempts }, () => {
        attempts += 1;
        return this.attempt(this.requestBody(model, request, maxTokens), attempts, signal, request.onDelta).then(
          (outcome) => {
            this.observer?.onAttempt(null);
            return outcome;
          },
          (error: unknown) => {
            if (error instanceof TransientFailure) this.observer?.onAttempt(error);
            else if (!(error instanceof ModelCallAbortedError)) this.observer?.onAttempt(null);
            throw error;
          },
        );
      });

    let outcome: AttemptOutcome;
    try {
      outcome = await send();
    } catch (error) {
      if (!(error instanceof ContextLengthError)) throw error;
      if (error.promptTokens !== null) this.estimator.calibrate(promptBytes, error.promptTokens);
      this.learnedMaxModelLen ??= error.maxContextTokens;
      if (!error.promptFits) throw error;
      const left = error.maxContextTokens - error.promptTokens!;
      // Retrying with the same (or a larger) max_tokens would fail the same way.
      if (maxTokens === null || left >= maxTokens) throw error;
      maxTokens = left;
      outcome = await send(); // a second ContextLengthError propagates: never loop on it
    }

    if (outcome.usage) this.estimator.calibrate(promptBytes, outcome.usage.promptTokens);
    return {
      ...outcome,
      latencyMs: performance.now() - started,
      attempts,
      maxTokens,
      promptTokenCount: prompt,
    };
  }

  private requestBody(model: string, request: ModelRequest, maxTokens: number | null): ChatCompletionCreateParamsNonStreaming {
    const { sampling } = this.config;
    const tools = request.tools && request.tools.length > 0 ? request.tools : undefined;
    // Extra (vLLM-only) fields travel as unknown body keys, which the openai package sends as-is.
    return {
      ...this.config.extraBody,
      model,
      messages: request.messages,
      ...(tools ? { tools, tool_choice: request.toolChoice ?? "auto" } : {}),
      temperature: sampling.temperature,
      top_p: sampling.topP,
      ...(sampling.seed === null ? {} : { seed: sampling.seed }),
      ...(maxTokens === null ? {} : { max_tokens: maxTokens }),
    };
  }

  private attempt(
    body: ChatCompletionCreateParamsNonStreaming,
    attempts: number,
    signal: AbortSignal | undefined,
    onDelta?: ModelRequest["onDelta"],
  ): Promise<AttemptOutcome> {
    const options = { url: this.config.baseURL, timeoutMs: this.config.requestTimeoutMs, signal, attempts };
    return runAttempt(options, async (attemptSignal) => {
      const requestOptions = { signal: attemptSignal, timeout: this.config.requestTimeoutMs };
      if (!this.config.stream) {
        const completion = await this.openai.chat.completions.create(body, requestOptions);
        return fromCompletion(completion);
      }
      const streamBody: ChatCompletionCreateParamsStreaming = {
        ...body,
        stream: true,
        stream_options: { include_usage: true },
      };
      const stream = await this.openai.chat.completions.create(streamBody, requestOptions);
      const chunks: ChatCompletionChunk[] = [];
      const assembler = new StreamAssembler();
      for await (const chunk of stream) {
        chunks.push(chunk);
        assembler.add(chunk);
        const delta = chunk.choices[0]?.delta;
        if (onDelta && delta) {
          if (delta.content) onDelta({ kind: "content", text: delta.content });
          for (const call of delta.tool_calls ?? [])
            if (call.function?.arguments) onDelta({ kind: "arguments", text: call.function.arguments });
        }
      }
      const assembled = assembler.result();
      // vLLM always ends a stream with a finish_reason; without one the connection was cut short.
      if (assembled.finishReason === null) {
        throw new TransientFailure("stream", null, null, new Error("stream ended without a finish_reason"));
      }
      return {
        model: chunks[0]?.model ?? body.model,
        message: assembled.message,
        finishReason: assembled.finishReason,
        usage: toUsage(assembled.usage),
        raw: chunks,
      };
    });
  }
}

function fromCompletion(completion: ChatCompletion): AttemptOutcome {
  const choice = completion.choices?.[0];
  if (!choice) {
    throw new TransientFailure("malformed", null, null, new Error("chat completion without choices"));
  }
  return {
    model: completion.model,
    message: {
      content: choice.message.content ?? null,
      toolCalls: toToolCalls(choice.message.tool_calls),
      reasoningContent: reasoningOf(choice.message),
    },
    finishReason: choice.finish_reason ?? null,
    usage: toUsage(completion.usage),
    raw: completion,
  };
}

/** vLLM's reasoning parser output: `reasoning_content` (older builds) or `reasoning`. */
function reasoningOf(message: object): string | null {
  const fields = message as { reasoning_content?: unknown; reasoning?: unknown };
  const value = fields.reasoning_content ?? fields.reasoning;
  return typeof value === "string" ? value : null;
}
