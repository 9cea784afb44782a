import { afterEach, describe, expect, it } from "vitest";
import type { ChatCompletionMessageParam, ChatCompletionTool } from "openai/resources/chat/completions";
import { ModelClient } from "../src/foundation/model/model-client.ts";
import type { ModelConfigInput } from "../src/foundation/model/model-config.ts";
import { ModelConfigError } from "../src/foundation/model/model-config.ts";
import {
  ContextLengthError,
  ModelCallAbortedError,
  ModelNotServedError,
  ModelRequestError,
  ModelUnavailableError,
} from "../src/foundation/model/model-errors.ts";
import { toAssistantParam } from "../src/foundation/model/model-result.ts";
import { parseContextLengthMessage } from "../src/foundation/model/context-length.ts";
import { backoffDelayMs, parseRetryAfterMs } from "../src/foundation/model/retry-policy.ts";
import { CONTEXT_WORDINGS, ERROR_SHAPES } from "../src/foundation/model/scripted/error-bodies.ts";
import {
  contextError,
  failFirst,
  hermes,
  notFound,
  rateLimited,
  serverError,
  stall,
  text,
  toolCalls,
  truncated,
  type Conversation,
} from "../src/foundation/model/scripted/script.ts";
import { startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions } from "../src/foundation/model/scripted/server.ts";

const servers: FakeOpenAI[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const BASH: ChatCompletionTool = {
  type: "function",
  function: {
    name: "bash",
    description: "Run a shell command",
    parameters: { type: "object", properties: { command: { type: "string" } }, required: ["command"] },
  },
};

const user = (content: string): ChatCompletionMessageParam[] => [
  { role: "system", content: "You are a careful software engineer." },
  { role: "user", content },
];

/** One conversation keyed on "task-1", answering with `turns`. */
const oneConversation = (...turns: Conversation["turns"]): Conversation[] => [{ name: "c", match: "task-1", turns }];

async function setup(options: FakeOpenAIOptions, config: Partial<ModelConfigInput> = {}) {
  const server = await startFakeOpenAI(options);
  servers.push(server);
  const client = new ModelClient(
    {
      baseURL: server.url,
      requestTimeoutMs: 2_000,
      ...config,
      retry: { baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 50, ...config.retry },
    },
    {},
  );
  return { server, client };
}

const bodyOf = (server: FakeOpenAI, index: number) => server.chatRequests("c")[index]!.body as Record<string, unknown>;

describe("config", () => {
  it("takes the base URL and key from the environment and rejects a missing URL", () => {
    const client = new ModelClient({}, { OPENAI_BASE_URL: "http://127.0.0.1:9/v1" });
    expect(client.config.baseURL).toBe("http://127.0.0.1:9/v1");
    expect(client.config.apiKey).toBe("EMPTY");
    expect(new ModelClient({}, { OPENAI_BASE_URL: "http://x/v1", OPENAI_API_KEY: "k" }).config.apiKey).toBe("k");
    expect(() => new ModelClient({}, {})).toThrow(ModelConfigError);
    expect(() => new ModelClient({ baseURL: "http://x/v1", sampling: { temperature: -1 } }, {})).toThrow(/sampling.temperature/);
  });
});

describe("discovery", () => {
  it("reads the model id and max_model_len from /v1/models", async () => {
    const { client } = await setup({ model: "daVinci-Dev-72B", maxModelLen: 32_768, conversations: [] });
    await expect(client.discover()).resolves.toEqual({
      model: "daVinci-Dev-72B",
      maxModelLen: 32_768,
      served: ["daVinci-Dev-72B"],
    });
  });

  it("checks that a configured model is served", async () => {
    const { client } = await setup({ model: "daVinci-Dev-72B", conversations: [] }, { model: "other" });
    const error = await client.discover().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelNotServedError);
    expect((error as ModelNotServedError).served).toEqual(["daVinci-Dev-72B"]);
  });

  it("uses the discovered id in chat requests", async () => {
    const { server, client } = await setup({ model: "served-name", conversations: oneConversation(text("hi")) });
    const result = await client.complete({ messages: user("task-1") });
    expect(bodyOf(server, 0).model).toBe("served-name");
    expect(result.model).toBe("served-name");
  });
});

describe("request body", () => {
  it("sends sampling, extras, tools and tool_choice explicitly", async () => {
    const { server, client } = await setup(
      { conversations: oneConversation(text("ok")) },
      {
        sampling: { temperature: 0.6, topP: 0.95, seed: 7, maxTokens: 300 },
        extraBody: { top_k: 20, repetition_penalty: 1.05, chat_template_kwargs: { enable_thinking: false } },
      },
    );
    await client.complete({ messages: user("task-1"), tools: [BASH] });
    const body = bodyOf(server, 0);
    expect(body).toMatchObject({
      temperature: 0.6,
      top_p: 0.95,
      seed: 7,
      max_tokens: 300,
      top_k: 20,
      repetition_penalty: 1.05,
      chat_template_kwargs: { enable_thinking: false },
      tool_choice: "auto",
      tools: [BASH],
    });
    expect(body.stream ?? false).toBe(false);
    const tokenize = server.requests.find((r) => r.path === "/tokenize")!.body as Record<string, unknown>;
    expect(tokenize).toMatchObject({ tools: [BASH], chat_template_kwargs: { enable_thinking: false } });
  });

  it("omits tools and tool_choice for a text-mode call", async () => {
    const { server, client } = await setup({ conversations: oneConversation(text("ok")) });
    await client.complete({ messages: user("task-1") });
    expect(bodyOf(server, 0)).not.toHaveProperty("tools");
    expect(bodyOf(server, 0)).not.toHaveProperty("tool_choice");
  });
});

describe("max_tokens budget", () => {
  it("is max_model_len minus the /tokenize count minus the margin", async () => {
    const { server, client } = await setup(
      { maxModelLen: 1_000, conversations: oneConversation(text("ok")) },
      { contextMarginTokens: 16, sampling: { maxTokens: 4_096 } },
    );
    const result = await client.complete({ messages: user("task-1 " + "word ".repeat(200)), tools: [BASH] });
    const prompt = result.usage!.promptTokens;
    expect(result.promptTokenCount).toEqual({ tokens: prompt, source: "tokenize" });
    expect(bodyOf(server, 0).max_tokens).toBe(1_000 - prompt - 16);
    expect(result.maxTokens).toBe(1_000 - prompt - 16);
  });

  it("is the configured cap when that is smaller", async () => {
    const { server, client } = await setup(
      { maxModelLen: 100_000, conversations: oneConversation(text("ok")) },
      { sampling: { maxTokens: 123 } },
    );
    await client.complete({ messages: user("task-1") });
    expect(bodyOf(server, 0).max_tokens).toBe(123);
  });

  it("falls back to an estimate without /tokenize, and calibrates it on reported usage", async () => {
    const { server, client } = await setup({
      maxModelLen: 2_000,
      tokenize: false,
      conversations: oneConversation(text("ok"), text("ok again")),
    });
    const messages = user("task-1 " + "some words of the task ".repeat(40));
    const first = await client.complete({ messages });
    expect(first.promptTokenCount.source).toBe("estimate");
    expect(first.attempts).toBe(1);
    // The uncalibrated estimate must not undercount: the request fits without a context error.
    expect(first.promptTokenCount.tokens).toBeGreaterThanOrEqual(first.usage!.promptTokens);
    expect(Number(bodyOf(server, 0).max_tokens) + first.usage!.promptTokens).toBeLessThanOrEqual(2_000);

    messages.push(toAssistantParam(first.message), { role: "user", content: "more of the same ".repeat(30) });
    const second = await client.complete({ messages });
    const actual = second.usage!.promptTokens;
    expect(Math.abs(second.promptTokenCount.tokens - actual) / actual).toBeLessThan(0.1);
    // /tokenize answered 404 once and is not asked again.
    expect(server.requests.filter((r) => r.path === "/tokenize")).toHaveLength(1);
  });

  it("refuses before sending when /tokenize says the prompt alone exceeds the context", async () => {
    const { server, client } = await setup({ maxModelLen: 50, conversations: oneConversation(text("ok")) });
    const error = await client.complete({ messages: user("task-1 " + "long ".repeat(100)) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContextLengthError);
    expect((error as ContextLengthError).source).toBe("preflight");
    expect((error as ContextLengthError).maxContextTokens).toBe(50);
    expect((error as ContextLengthError).promptTokens).toBeGreaterThan(50);
    expect(server.chatRequests("c")).toHaveLength(0);
  });
});

describe("assistant messages", () => {
  for (const stream of [false, true]) {
    const mode = stream ? "streaming" : "non-streaming";

    it(`returns native tool calls normalized (${mode})`, async () => {
      const { client } = await setup(
        {
          conversations: oneConversation(
            toolCalls(
              { id: "call-a", name: "bash", arguments: { command: "ls -la" } },
              { id: "call-b", name: "str_replace_editor", arguments: { command: "view", path: "/repo/a.py" } },
            ),
          ),
        },
        { stream },
      );
      const result = await client.complete({ messages: user("task-1"), tools: [BASH] });
      expect(result.message.toolCalls).toEqual([
        { id: "call-a", name: "bash", arguments: JSON.stringify({ command: "ls -la" }) },
        { id: "call-b", name: "str_replace_editor", arguments: JSON.stringify({ command: "view", path: "/repo/a.py" }) },
      ]);
      expect(result.finishReason).toBe("tool_calls");
    });

    it(`returns a Hermes block left in content as content, with no tool calls (${mode})`, async () => {
      const { client } = await setup(
        { conversations: oneConversation(hermes([{ name: "bash", arguments: { command: "pytest -x" } }], "Let me test.\n")) },
        { stream },
      );
      const result = await client.complete({ messages: user("task-1"), tools: [BASH] });
      expect(result.message.toolCalls).toEqual([]);
      expect(result.message.content).toContain('<tool_call>\n{"name": "bash", "arguments": {"command":"pytest -x"}}\n</tool_call>');
      expect(result.message.content!.startsWith("Let me test.\n")).toBe(true);
      expect(result.finishReason).toBe("stop");
    });

    it(`returns malformed arguments raw (${mode})`, async () => {
      const raw = '{"command": "grep -rn \\"foo\\" src/';
      const { client } = await setup({ conversations: oneConversation(toolCalls({ name: "bash", arguments: raw })) }, { stream });
      const result = await client.complete({ messages: user("task-1"), tools: [BASH] });
      expect(result.message.toolCalls).toHaveLength(1);
      expect(result.message.toolCalls[0]!.arguments).toBe(raw);
      expect(result.message.toolCalls[0]!.id).not.toBe("");
    });

    it(`reports finish_reason length (${mode})`, async () => {
      const { client } = await setup({ conversations: oneConversation(truncated("I will now edit the fi")) }, { stream });
      const result = await client.complete({ messages: user("task-1") });
      expect(result.finishReason).toBe("length");
      expect(result.message.content).toBe("I will now edit the fi");
    });
  }

  it("reassembles streamed tool-call arguments split across many chunks exactly", async () => {
    const args = { command: "mkdir -p test/{a,b} && printf 'h\u00e9llo \u2713 \"q\"\\n' > test/a/x.txt" };
    const { server, client } = await setup(
      {
        streamChunkChars: 3,
        conversations: oneConversation({
          type: "reply",
          content: "Creating the fixture.",
          toolCalls: [
            { name: "bash", arguments: args },
            { name: "bash", arguments: { command: "ls test" } },
          ],
        }),
      },
      { stream: true },
    );
    const result = await client.complete({ messages: user("task-1"), tools: [BASH] });
    expect(bodyOf(server, 0)).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(result.message.content).toBe("Creating the fixture.");
    expect(result.message.toolCalls.map((call) => JSON.parse(call.arguments))).toEqual([args, { command: "ls test" }]);
    expect(result.message.toolCalls[0]!.arguments).toBe(JSON.stringify(args));
    const chunks = result.raw as Array<{ choices: Array<{ delta: { tool_calls?: Array<{ index: number }> } }> }>;
    const firstCallDeltas = chunks.filter((chunk) => chunk.choices[0]?.delta.tool_calls?.some((call) => call.index === 0));
    expect(firstCallDeltas.length).toBeGreaterThan(10);
    expect(result.usage?.promptTokens).toBeGreaterThan(0);
    expect(result.usage?.completionTokens).toBeGreaterThan(0);
  });
});

describe("retries", () => {
  it("retries 500 twice then succeeds, with attempts = 3", async () => {
    const { server, client } = await setup({ conversations: oneConversation(failFirst(2, serverError(), text("done"))) });
    const result = await client.complete({ messages: user("task-1") });
    expect(result.message.content).toBe("done");
    expect(result.attempts).toBe(3);
    expect(server.chatRequests("c").map((r) => r.attempt)).toEqual([0, 1, 2]);
  });

  it("retries a 500 with the older flat body shape too", async () => {
    const { client } = await setup({ conversations: oneConversation(failFirst(1, serverError("flat"), text("done"))) });
    expect((await client.complete({ messages: user("task-1") })).attempts).toBe(2);
  });

  it("honours Retry-After on 429, capped by maxRetryAfterMs", async () => {
    const { server, client } = await setup(
      { conversations: oneConversation(failFirst(1, rateLimited(30), text("done"))) },
      { retry: { baseDelayMs: 1, maxRetryAfterMs: 300 } },
    );
    const result = await client.complete({ messages: user("task-1") });
    expect(result.attempts).toBe(2);
    const [first, second] = server.chatRequests("c");
    const waited = second!.receivedAt - first!.receivedAt;
    expect(waited).toBeGreaterThanOrEqual(290); // honoured: far above the 1 ms backoff
    expect(waited).toBeLessThan(5_000); // capped: far below the 30 s asked for
  });

  const stalls = [
    ["before the headers", stall(false)],
    ["after the headers", stall(true)],
  ] as const;
  for (const [when, fault] of stalls) {
    for (const stream of [false, true]) {
      it(`times out a response that stalls ${when} and retries (${stream ? "streaming" : "non-streaming"})`, async () => {
        const { server, client } = await setup(
          { conversations: oneConversation(failFirst(1, fault, text("late but fine"))) },
          { requestTimeoutMs: 300, stream },
        );
        const started = Date.now();
        const result = await client.complete({ messages: user("task-1") });
        expect(result.message.content).toBe("late but fine");
        expect(result.attempts).toBe(2);
        expect(Date.now() - started).toBeGreaterThanOrEqual(290);
        expect(server.chatRequests("c")).toHaveLength(2);
      });
    }
  }

  it("retries a stream cut off after the headers", async () => {
    const { client } = await setup({ conversations: oneConversation(failFirst(1, stall(true, 20), text("whole"))) }, { stream: true });
    const result = await client.complete({ messages: user("task-1") });
    expect(result.message.content).toBe("whole");
    expect(result.attempts).toBe(2);
  });

  for (const stream of [false, true]) {
    it(`retries a 200 that ends with no answer in it (${stream ? "a stream without finish_reason" : "an empty body"})`, async () => {
      const { client } = await setup({ conversations: oneConversation(failFirst(1, stall(true, 10, "end"), text("whole"))) }, { stream });
      const result = await client.complete({ messages: user("task-1") });
      expect(result.message.content).toBe("whole");
      expect(result.attempts).toBe(2);
    });
  }

  it("retries a dropped connection", async () => {
    const { client } = await setup({ conversations: oneConversation(failFirst(2, stall(false, 0), text("back"))) });
    const result = await client.complete({ messages: user("task-1") });
    expect(result.attempts).toBe(3);
  });

  it("throws ModelUnavailableError after the configured attempts when the server stays down", async () => {
    const { server, client } = await setup(
      { conversations: oneConversation(failFirst(Infinity, serverError(), text("never"))) },
      { retry: { maxAttempts: 4 } },
    );
    const error = await client.complete({ messages: user("task-1") }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelUnavailableError);
    expect((error as ModelUnavailableError).attempts).toBe(4);
    expect((error as ModelUnavailableError).lastStatus).toBe(500);
    expect(server.chatRequests("c")).toHaveLength(4);
  });

  it("throws ModelUnavailableError when nothing listens", async () => {
    const server = await startFakeOpenAI({ conversations: [] });
    const url = server.url;
    await server.close();
    const client = new ModelClient({ baseURL: url, model: "m", maxModelLen: 1_000, retry: { maxAttempts: 2, baseDelayMs: 1 } }, {});
    const error = await client.complete({ messages: user("task-1") }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelUnavailableError);
    expect((error as ModelUnavailableError).lastReason).toBe("connection");
    expect((error as ModelUnavailableError).attempts).toBe(2);
  });

  for (const [status, fault] of [
    [404, notFound()],
    [
      400,
      { type: "http_error", status: 400, body: { error: { message: "bad tool schema", type: "BadRequestError", param: null, code: 400 } } },
    ],
  ] as const) {
    it(`does not retry a ${status}`, async () => {
      const { server, client } = await setup({ conversations: oneConversation(fault) });
      const error = await client.complete({ messages: user("task-1") }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ModelRequestError);
      expect((error as ModelRequestError).status).toBe(status);
      expect(server.chatRequests("c")).toHaveLength(1);
    });
  }

  it("stops waiting when the caller aborts", async () => {
    const { client } = await setup({ conversations: oneConversation(stall(false)) }, { requestTimeoutMs: 10_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await client.complete({ messages: user("task-1"), signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelCallAbortedError);
  });
});

describe("context-length errors", () => {
  for (const wording of CONTEXT_WORDINGS) {
    for (const shape of ERROR_SHAPES) {
      it(`shrinks max_tokens and retries once when the prompt fits (${wording}, ${shape})`, async () => {
        // The client believes the context is larger than the server's, as with a stale override.
        const { server, client } = await setup(
          { maxModelLen: 1_000, contextWording: wording, contextShape: shape, conversations: oneConversation(text("ok")) },
          { maxModelLen: 100_000, sampling: { maxTokens: 4_096 } },
        );
        const result = await client.complete({ messages: user("task-1 please fix the bug") });
        const prompt = result.usage!.promptTokens;
        expect(result.attempts).toBe(2);
        expect(bodyOf(server, 0).max_tokens).toBe(4_096);
        expect(bodyOf(server, 1).max_tokens).toBe(1_000 - prompt);
        expect(result.maxTokens).toBe(1_000 - prompt);
      });

      it(`throws ContextLengthError with the parsed numbers when the prompt does not fit (${wording}, ${shape})`, async () => {
        const { server, client } = await setup(
          { conversations: oneConversation(contextError(wording, shape, { maxModelLen: 8_000, promptTokens: 9_500 })) },
          { maxModelLen: 100_000, sampling: { maxTokens: 700 } },
        );
        const error = await client.complete({ messages: user("task-1") }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ContextLengthError);
        expect(error).toMatchObject({
          source: "server",
          maxContextTokens: 8_000,
          promptTokens: 9_500,
          requestedCompletionTokens: 700,
          promptFits: false,
        });
        expect(server.chatRequests("c")).toHaveLength(1);
      });
    }
  }

  it("throws after the one shrink retry is rejected too", async () => {
    const { server, client } = await setup(
      { conversations: oneConversation(contextError("max_tokens_too_large", "nested", { maxModelLen: 1_000, promptTokens: 100 })) },
      { maxModelLen: 100_000, sampling: { maxTokens: 4_096 } },
    );
    const error = await client.complete({ messages: user("task-1") }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContextLengthError);
    expect((error as ContextLengthError).attempts).toBe(2);
    expect(server.chatRequests("c").map((r) => (r.body as { max_tokens: number }).max_tokens)).toEqual([4_096, 900]);
  });

  it("does not retry when shrinking would not change the request", async () => {
    const { server, client } = await setup(
      { conversations: oneConversation(contextError("requested_tokens", "flat", { maxModelLen: 5_000, promptTokens: 100 })) },
      { maxModelLen: 100_000, sampling: { maxTokens: 4_096 } },
    );
    await expect(client.complete({ messages: user("task-1") })).rejects.toBeInstanceOf(ContextLengthError);
    expect(server.chatRequests("c")).toHaveLength(1);
  });

  it("parses each wording's numbers, with and without 'at least'", () => {
    expect(
      parseContextLengthMessage(
        "This model's maximum context length is 32768 tokens. However, you requested 33000 tokens (30000 in the messages, 3000 in the completion). Please reduce the length of the messages or completion.",
      ),
    ).toEqual({ maxContextTokens: 32768, promptTokens: 30000, requestedCompletionTokens: 3000 });
    expect(
      parseContextLengthMessage(
        "'max_tokens' or 'max_completion_tokens' is too large: 8000. This model's maximum context length is 4096 tokens and your request has 2778 input tokens (8000 > 4096 - 2778).",
      ),
    ).toEqual({ maxContextTokens: 4096, promptTokens: 2778, requestedCompletionTokens: 8000 });
    expect(
      parseContextLengthMessage(
        "This model's maximum context length is 4096 tokens. However, you requested 100 output tokens and your prompt contains 4050 input tokens, for a total of 4150 tokens. Please reduce the length of the input prompt or the number of requested output tokens.",
      ),
    ).toEqual({ maxContextTokens: 4096, promptTokens: 4050, requestedCompletionTokens: 100 });
    expect(parseContextLengthMessage("The model `x` does not exist.")).toBeNull();
  });
});

describe("usage and prefix caching", () => {
  it("records usage with cached tokens growing over an append-only conversation", async () => {
    const observe = (n: number) => `observation ${n}: ` + "file listing line\n".repeat(20);
    const { client } = await setup({
      conversations: oneConversation(
        toolCalls({ name: "bash", arguments: { command: "ls" } }),
        toolCalls({ name: "bash", arguments: { command: "cat setup.py" } }),
        text("done"),
      ),
    });
    const messages = user("task-1: fix the parser");
    const cached: number[] = [];
    for (let step = 0; step < 3; step++) {
      const result = await client.complete({ messages, tools: [BASH] });
      expect(result.usage).not.toBeNull();
      expect(result.usage!.cachedPromptTokens).not.toBeNull();
      expect(result.usage!.cachedPromptTokens!).toBeLessThanOrEqual(result.usage!.promptTokens);
      cached.push(result.usage!.cachedPromptTokens!);
      messages.push(toAssistantParam(result.message));
      for (const call of result.message.toolCalls) messages.push({ role: "tool", tool_call_id: call.id, content: observe(step) });
    }
    expect(cached[0]).toBe(0);
    expect(cached[1]).toBeGreaterThan(0);
    expect(cached[2]).toBeGreaterThan(cached[1]!);
  });
});

describe("retry timing", () => {
  it("backs off exponentially within [half, full] of each capped step", () => {
    const policy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 0 };
    expect(backoffDelayMs(policy, 1, () => 0)).toBe(50);
    expect(backoffDelayMs(policy, 3, () => 1)).toBe(400);
    expect(backoffDelayMs(policy, 10, () => 1)).toBe(1_000);
  });

  it("reads Retry-After as seconds, an HTTP date, or retry-after-ms", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfterMs(new Headers({ "retry-after": "2" }), now)).toBe(2_000);
    expect(parseRetryAfterMs(new Headers({ "retry-after": "Thu, 01 Jan 2026 00:00:05 GMT" }), now)).toBe(5_000);
    expect(parseRetryAfterMs(new Headers({ "retry-after-ms": "250", "retry-after": "9" }), now)).toBe(250);
    expect(parseRetryAfterMs(new Headers({}), now)).toBeNull();
  });
});
