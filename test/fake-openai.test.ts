import { afterEach, describe, expect, it } from "vitest";
import { contextLengthMessage } from "../src/foundation/model/scripted/error-bodies.ts";
import { failFirst, serverError, stall, text, toolCalls, type Conversation } from "../src/foundation/model/scripted/script.ts";
import { startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions } from "../src/foundation/model/scripted/server.ts";

/**
 * The fake server's wire format, checked with plain fetch. (test/model-client.test.ts drives it
 * through the real openai client.)
 */
const servers: FakeOpenAI[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(options: FakeOpenAIOptions) {
  const server = await startFakeOpenAI(options);
  servers.push(server);
  return server;
}

const messages = (first: string, ...rest: Array<{ role: string; content: string }>) => [
  { role: "system", content: "system prompt" },
  { role: "user", content: first },
  ...rest,
];

// Wire-format assertions read loosely typed JSON on purpose.
// biome-ignore lint/suspicious/noExplicitAny: the assertions index into arbitrary JSON
const json = async (response: Response | Promise<Response>): Promise<any> => (await response).json();

function post(url: string, body: unknown) {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

/** The `data:` payloads of an SSE body, in order. */
function ssePayloads(body: string): string[] {
  const events = body.split("\n\n").filter((event) => event !== "");
  for (const event of events) expect(event.startsWith("data: ")).toBe(true);
  return events.map((event) => event.slice("data: ".length));
}

const conv = (name: string, match: Conversation["match"], ...turns: Conversation["turns"]): Conversation => ({
  name,
  match,
  turns,
});

describe("fake OpenAI server", () => {
  it("listens on loopback and lists its model with max_model_len", async () => {
    const server = await start({ model: "m1", maxModelLen: 4_096, conversations: [] });
    expect(new URL(server.url).hostname).toBe("127.0.0.1");
    const models = await json(fetch(`${server.url}/models`));
    expect(models.data).toEqual([expect.objectContaining({ id: "m1", max_model_len: 4_096 })]);
  });

  it("counts the same prompt tokens on /tokenize as in chat usage, and more for a longer prompt", async () => {
    const server = await start({ maxModelLen: 4_096, conversations: [conv("a", "task-a", text("ok"))] });
    const short = messages("task-a");
    const long = messages("task-a and a much longer description of the problem");
    const counted = await json(post(`${server.origin}/tokenize`, { model: "fake-model", messages: short }));
    const longer = await json(post(`${server.origin}/tokenize`, { model: "fake-model", messages: long }));
    expect(counted.max_model_len).toBe(4_096);
    expect(longer.count).toBeGreaterThan(counted.count);
    const chat = await json(post(`${server.url}/chat/completions`, { messages: short }));
    expect(chat.usage.prompt_tokens).toBe(counted.count);
  });

  it("answers 404 on /tokenize when told to lack it", async () => {
    const server = await start({ tokenize: false, conversations: [] });
    expect((await post(`${server.origin}/tokenize`, { messages: messages("x") })).status).toBe(404);
  });

  it("streams role, content, tool-call argument fragments, finish, usage, then [DONE]", async () => {
    const args = { command: "python -m pytest tests/test_parser.py -x -q" };
    const server = await start({
      streamChunkChars: 5,
      conversations: [conv("a", "task-a", { type: "reply", content: "Running.", toolCalls: [{ name: "bash", arguments: args }] })],
    });
    const response = await post(`${server.url}/chat/completions`, {
      messages: messages("task-a"),
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const payloads = ssePayloads(await response.text());
    expect(payloads.at(-1)).toBe("[DONE]");
    const chunks = payloads.slice(0, -1).map((payload) => JSON.parse(payload));
    expect(chunks[0].choices[0].delta.role).toBe("assistant");
    const deltas = chunks.filter((chunk) => chunk.choices.length > 0).map((chunk) => chunk.choices[0].delta);
    expect(deltas.map((delta) => delta.content ?? "").join("")).toBe("Running.");
    const argPieces = deltas.flatMap((delta) => delta.tool_calls ?? []).map((call) => call.function.arguments ?? "");
    expect(argPieces.filter((piece: string) => piece !== "").length).toBeGreaterThan(3);
    expect(argPieces.join("")).toBe(JSON.stringify(args));
    const finish = chunks.filter((chunk) => chunk.choices[0]?.finish_reason);
    expect(finish.map((chunk) => chunk.choices[0].finish_reason)).toEqual(["tool_calls"]);
    const last = chunks.at(-1);
    expect(last.choices).toEqual([]);
    expect(last.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it("sends no usage chunk without stream_options.include_usage", async () => {
    const server = await start({ conversations: [conv("a", "task-a", text("hello there"))] });
    const response = await post(`${server.url}/chat/completions`, { messages: messages("task-a"), stream: true });
    const chunks = ssePayloads(await response.text())
      .slice(0, -1)
      .map((payload) => JSON.parse(payload));
    expect(chunks.every((chunk) => chunk.usage === undefined && chunk.choices.length === 1)).toBe(true);
  });

  it("picks the conversation by the first user message and the turn by the assistant messages so far", async () => {
    const server = await start({
      conversations: [
        conv("a", "task-a", text("a0"), text("a1")),
        conv("b", (request) => JSON.stringify(request.messages).includes("task-b"), text("b0")),
      ],
    });
    const say = async (body: unknown) => (await json(post(`${server.url}/chat/completions`, body))).choices[0].message.content;
    expect(await say({ messages: messages("task-b") })).toBe("b0");
    expect(await say({ messages: messages("task-a") })).toBe("a0");
    expect(await say({ messages: messages("task-a", { role: "assistant", content: "a0" }, { role: "user", content: "go on" }) })).toBe(
      "a1",
    );
    expect(server.chatRequests("a").map((r) => r.turn)).toEqual([0, 1]);
    expect(server.chatRequests("b")).toHaveLength(1);

    const unmatched = await post(`${server.url}/chat/completions`, { messages: messages("task-z") });
    expect(unmatched.status).toBe(400);
    const twoAssistants = messages("task-b", { role: "assistant", content: "x" }, { role: "assistant", content: "y" });
    const exhausted = await post(`${server.url}/chat/completions`, { messages: twoAssistants });
    expect(exhausted.status).toBe(400);
    expect((await json(exhausted)).error.message).toContain("no turn 2");
  });

  it("lets a turn answer from the request (the last observation)", async () => {
    const server = await start({
      conversations: [
        conv("a", "task-a", toolCalls({ name: "bash", arguments: { command: "pytest" } }), (request) => {
          const observation = String(request.messages.at(-1)?.content ?? "");
          return text(observation.includes("1 failed") ? "still failing" : "all green");
        }),
      ],
    });
    const history = (observation: string) => [
      ...messages("task-a"),
      { role: "assistant", content: null, tool_calls: [{ id: "t", type: "function", function: { name: "bash", arguments: "{}" } }] },
      { role: "tool", tool_call_id: "t", content: observation },
    ];
    const answer = async (observation: string) =>
      (await json(post(`${server.url}/chat/completions`, { messages: history(observation) }))).choices[0].message.content;
    expect(await answer("1 failed, 3 passed")).toBe("still failing");
    expect(await answer("4 passed")).toBe("all green");
  });

  it("fails the first k attempts of a turn, counting attempts per turn", async () => {
    const server = await start({ conversations: [conv("a", "task-a", failFirst(2, serverError("flat"), text("ok")))] });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await post(`${server.url}/chat/completions`, { messages: messages("task-a") })).status);
    expect(statuses).toEqual([500, 500, 200]);
    expect(server.chatRequests("a").map((r) => r.attempt)).toEqual([0, 1, 2]);
  });

  it("enforces max_model_len like vLLM, with the configured wording and shape", async () => {
    const server = await start({
      maxModelLen: 200,
      contextWording: "max_tokens_too_large",
      contextShape: "flat",
      conversations: [conv("a", "task-a", text("ok"))],
    });
    const count = (await json(post(`${server.origin}/tokenize`, { messages: messages("task-a") }))).count as number;
    const tooMany = await post(`${server.url}/chat/completions`, { messages: messages("task-a"), max_tokens: 200 - count + 1 });
    expect(tooMany.status).toBe(400);
    expect(await json(tooMany)).toEqual({
      object: "error",
      message: contextLengthMessage("max_tokens_too_large", { maxModelLen: 200, promptTokens: count, completionTokens: 200 - count + 1 }),
      type: "BadRequestError",
      param: null,
      code: 400,
    });
    const exact = await post(`${server.url}/chat/completions`, { messages: messages("task-a"), max_tokens: 200 - count });
    expect(exact.status).toBe(200);
  });

  it("reports cached tokens as the common prefix with the conversation's previous request", async () => {
    const server = await start({ conversations: [conv("a", "task-a", text("r0"), text("r1"))] });
    const first = messages("task-a");
    const second = [...first, { role: "assistant", content: "r0" }, { role: "user", content: "next" }];
    const usage = async (m: unknown) => (await json(post(`${server.url}/chat/completions`, { messages: m }))).usage;
    const u0 = await usage(first);
    const u1 = await usage(second);
    expect(u0.prompt_tokens_details.cached_tokens).toBe(0);
    expect(u1.prompt_tokens_details.cached_tokens).toBeGreaterThan(0);
    // The previous prompt ends with the generation prompt, which the next one extends: almost all of it is cached.
    expect(u1.prompt_tokens_details.cached_tokens).toBeGreaterThanOrEqual(u0.prompt_tokens - 1);
    expect(u1.prompt_tokens_details.cached_tokens).toBeLessThan(u1.prompt_tokens);
  });

  it("drops a stalled connection after its delay", async () => {
    const server = await start({ conversations: [conv("a", "task-a", stall(true, 50))] });
    const started = Date.now();
    const response = await post(`${server.url}/chat/completions`, { messages: messages("task-a") });
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it("closes promptly while a response stalls forever", async () => {
    const server = await startFakeOpenAI({ conversations: [conv("a", "task-a", stall(false))] });
    const pending = post(`${server.url}/chat/completions`, { messages: messages("task-a") }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await pending).toBeInstanceOf(Error);
  });

  it("adds the configured latency to replies", async () => {
    const server = await start({ latencyMs: 120, conversations: [conv("a", "task-a", text("slow"))] });
    const started = Date.now();
    await json(post(`${server.url}/chat/completions`, { messages: messages("task-a") }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(115);
  });

  it("records every request with its parsed body and time", async () => {
    const server = await start({ conversations: [conv("a", "task-a", text("ok"))] });
    const before = Date.now();
    await fetch(`${server.url}/models`);
    await post(`${server.url}/chat/completions`, { messages: messages("task-a"), temperature: 0.3 });
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /v1/models", "POST /v1/chat/completions"]);
    expect(server.requests[1]!.body).toMatchObject({ temperature: 0.3 });
    expect(server.requests[1]!.receivedAt).toBeGreaterThanOrEqual(before);
  });
});
