import http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { badRequestBody, contextLengthBody, type ContextWording, type ErrorShape, serverErrorBody } from "./error-bodies.ts";
import { commonPrefixTokens, countTokens, messageText, renderPrompt } from "./prompt-tokens.ts";
import { ChatRequest, type Conversation, type ReplyTurn, type StallTurn, type Turn } from "./script.ts";

export interface FakeOpenAIOptions {
  /** Served model id (default "fake-model"). */
  model?: string;
  /** Reported by /v1/models and /tokenize, and enforced like vLLM: prompt + max_tokens > it → 400. */
  maxModelLen?: number;
  /** Wording and body shape of the enforced context-length 400 (default "requested_tokens", "nested"). */
  contextWording?: ContextWording;
  contextShape?: ErrorShape;
  /** Serve POST /tokenize (default true); false answers 404 like a server without it. */
  tokenize?: boolean;
  /** Added before every 200 reply, for benchmarks. */
  latencyMs?: number;
  /** Characters per streamed content / argument delta (default 4). */
  streamChunkChars?: number;
  conversations: Conversation[];
  /** Listen on this port of 127.0.0.1 (default: any free one), e.g. to bring a stopped server back. */
  port?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** Parsed JSON body (undefined for GET). */
  body: unknown;
  receivedAt: number;
  /** For chat requests that matched a conversation. */
  conversation: string | null;
  turn: number | null;
  /** 0 for the first request of this turn, 1 for its first retry, … */
  attempt: number | null;
}

export interface FakeOpenAI {
  /** Base URL for an OpenAI client, `http://127.0.0.1:<port>/v1`. */
  url: string;
  /** `http://127.0.0.1:<port>`, where /tokenize lives. */
  origin: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** The chat requests of one conversation, in order. */
  chatRequests(conversation: string): RecordedRequest[];
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text === "" ? undefined : JSON.parse(text);
}

function firstUserText(request: ChatRequest): string {
  const first = request.messages.find((message) => message.role === "user");
  return first ? messageText(first.content) : "";
}

function splitChars(text: string, size: number): string[] {
  const chars = Array.from(text);
  const pieces: string[] = [];
  for (let i = 0; i < chars.length; i += size) pieces.push(chars.slice(i, i + size).join(""));
  return pieces;
}

export async function startFakeOpenAI(options: FakeOpenAIOptions): Promise<FakeOpenAI> {
  const model = options.model ?? "fake-model";
  const chunkChars = options.streamChunkChars ?? 4;
  const requests: RecordedRequest[] = [];
  /** Rendering of the last prompt each conversation had computed, for prefix-cache accounting. */
  const lastPrompt = new Map<string, string>();
  const timers = new Set<NodeJS.Timeout>();
  let completionCounter = 0;

  function reply(
    res: http.ServerResponse,
    request: ChatRequest,
    turn: ReplyTurn,
    at: { conversation: string; turn: number; promptTokens: number; cachedTokens: number },
  ) {
    const calls = (turn.toolCalls ?? []).map((call, i) => ({
      id: call.id ?? `chatcmpl-tool-${at.turn}-${i}`,
      type: "function" as const,
      function: {
        name: call.name,
        arguments: typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments),
      },
    }));
    const content = turn.content ?? null;
    const finishReason = turn.finishReason ?? (calls.length > 0 ? "tool_calls" : "stop");
    const generated = countTokens((content ?? "") + calls.map((call) => call.function.arguments).join(""));
    const completionTokens = finishReason === "length" && request.max_tokens !== undefined ? request.max_tokens : Math.max(1, generated);
    const usage = {
      prompt_tokens: at.promptTokens,
      completion_tokens: completionTokens,
      total_tokens: at.promptTokens + completionTokens,
      prompt_tokens_details: { cached_tokens: at.cachedTokens },
    };
    completionCounter += 1;
    const id = `chatcmpl-${completionCounter}`;
    const created = Math.floor(Date.now() / 1000);

    if (!request.stream) {
      sendJson(res, 200, {
        id,
        object: "chat.completion",
        created,
        model,
        choices: [
          {
            index: 0,
            message: { role: "assistant", content, tool_calls: calls, reasoning_content: turn.reasoningContent ?? null },
            logprobs: null,
            finish_reason: finishReason,
            stop_reason: null,
          },
        ],
        usage,
        prompt_logprobs: null,
      });
      return;
    }

    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const chunk = (choices: Json[], extra: Json = {}) =>
      res.write(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices, ...extra })}\n\n`);
    const delta = (value: Json, finish: string | null = null) => chunk([{ index: 0, delta: value, logprobs: null, finish_reason: finish }]);
    delta({ role: "assistant", content: "" });
    for (const piece of splitChars(content ?? "", chunkChars)) delta({ content: piece });
    calls.forEach((call, index) => {
      delta({ tool_calls: [{ index, id: call.id, type: "function", function: { name: call.function.name, arguments: "" } }] });
      for (const piece of splitChars(call.function.arguments, chunkChars)) {
        delta({ tool_calls: [{ index, function: { arguments: piece } }] });
      }
    });
    delta({}, finishReason);
    if (request.stream_options?.include_usage) chunk([], { usage });
    res.end("data: [DONE]\n\n");
  }

  function stallResponse(res: http.ServerResponse, turn: StallTurn, stream: boolean) {
    if (turn.afterHeaders) {
      res.writeHead(200, { "content-type": stream ? "text/event-stream" : "application/json" });
      res.flushHeaders();
    }
    if (turn.ms === undefined) return; // held open until the client leaves or close()
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (turn.ending === "end") res.end();
      else res.socket?.destroy();
    }, turn.ms);
    timers.add(timer);
    res.on("close", () => {
      clearTimeout(timer);
      timers.delete(timer);
    });
  }

  async function chat(res: http.ServerResponse, record: RecordedRequest) {
    const parsed = ChatRequest.safeParse(record.body);
    if (!parsed.success) return sendJson(res, 400, badRequestBody(`fake-openai: invalid request: ${parsed.error.message}`));
    const request = parsed.data;
    const conversation = options.conversations.find((candidate) =>
      typeof candidate.match === "string" ? firstUserText(request).includes(candidate.match) : candidate.match(request),
    );
    if (!conversation) return sendJson(res, 400, badRequestBody("fake-openai: no conversation matches this request"));
    const turnIndex = request.messages.filter((message) => message.role === "assistant").length;
    record.conversation = conversation.name;
    record.turn = turnIndex;
    record.attempt = requests.filter((r) => r !== record && r.conversation === conversation.name && r.turn === turnIndex).length;

    const rendered = renderPrompt(request.messages, request.tools);
    const promptTokens = countTokens(rendered);
    const maxModelLen = options.maxModelLen;
    // vLLM validates the length before the request reaches the engine.
    if (maxModelLen !== undefined) {
      const completion = request.max_tokens ?? Math.max(1, maxModelLen - promptTokens);
      if (promptTokens + completion > maxModelLen) {
        const body = contextLengthBody(options.contextWording ?? "requested_tokens", options.contextShape ?? "nested", {
          maxModelLen,
          promptTokens,
          completionTokens: completion,
        });
        return sendJson(res, 400, body);
      }
    }

    const step = conversation.turns[turnIndex];
    if (!step) {
      return sendJson(res, 400, badRequestBody(`fake-openai: conversation ${conversation.name} has no turn ${turnIndex}`));
    }
    let turn: Turn = typeof step === "function" ? step(request) : step;
    if (turn.type === "flaky") turn = record.attempt < turn.failures ? turn.fault : turn.then;

    switch (turn.type) {
      case "http_error":
        return sendJson(res, turn.status, turn.body, turn.headers);
      case "context_error": {
        const max = turn.maxModelLen ?? maxModelLen ?? promptTokens + 1;
        const body = contextLengthBody(turn.wording, turn.shape, {
          maxModelLen: max,
          promptTokens: turn.promptTokens ?? promptTokens,
          completionTokens: request.max_tokens ?? 1,
        });
        return sendJson(res, 400, body);
      }
      case "stall":
        return stallResponse(res, turn, request.stream === true);
      case "reply": {
        const previous = lastPrompt.get(conversation.name);
        const cachedTokens = previous === undefined ? 0 : Math.min(promptTokens, commonPrefixTokens(previous, rendered));
        lastPrompt.set(conversation.name, rendered);
        if (options.latencyMs) await delay(options.latencyMs);
        return reply(res, request, turn, { conversation: conversation.name, turn: turnIndex, promptTokens, cachedTokens });
      }
    }
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const method = req.method ?? "GET";
    let body: unknown;
    try {
      body = method === "GET" ? undefined : await readJson(req);
    } catch {
      return sendJson(res, 400, badRequestBody("fake-openai: body is not JSON"));
    }
    const record: RecordedRequest = { method, path, body, receivedAt: Date.now(), conversation: null, turn: null, attempt: null };
    requests.push(record);

    if (method === "GET" && path === "/v1/models") {
      const card = { id: model, object: "model", created: 0, owned_by: "vllm", root: model, parent: null };
      return sendJson(res, 200, {
        object: "list",
        data: [options.maxModelLen !== undefined ? { ...card, max_model_len: options.maxModelLen } : card],
      });
    }
    if (method === "POST" && path === "/tokenize" && options.tokenize !== false) {
      const { messages = [], tools } = (body ?? {}) as { messages?: Json[]; tools?: unknown[] };
      return sendJson(res, 200, { count: countTokens(renderPrompt(messages, tools)), max_model_len: options.maxModelLen ?? null });
    }
    if (method === "POST" && path === "/v1/chat/completions") return chat(res, record);
    return sendJson(res, 404, { detail: "Not Found" });
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, serverErrorBody("nested", `fake-openai: ${String(error)}`));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}/v1`,
    origin,
    requests,
    chatRequests: (conversation) => requests.filter((r) => r.path === "/v1/chat/completions" && r.conversation === conversation),
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
