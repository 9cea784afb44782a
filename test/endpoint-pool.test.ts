import { afterEach, describe, expect, it } from "vitest";
import type { ChatCompletionMessageParam, ChatCompletionTool } from "openai/resources/chat/completions";
import { EndpointMismatchError } from "../src/foundation/model/endpoint-errors.ts";
import type { EndpointEvent } from "../src/foundation/model/endpoint-figures.ts";
import { EndpointPool } from "../src/foundation/model/endpoint-pool.ts";
import { toAssistantParam } from "../src/foundation/model/model-result.ts";
import { toolCalls, type Conversation } from "../src/foundation/model/scripted/script.ts";
import { startFakeOpenAI, type FakeOpenAI } from "../src/foundation/model/scripted/server.ts";

const servers: FakeOpenAI[] = [];
const pools: EndpointPool[] = [];
afterEach(async () => {
  for (const pool of pools.splice(0)) pool.close();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const BASH: ChatCompletionTool = {
  type: "function",
  function: {
    name: "bash",
    description: "Run a shell command",
    parameters: { type: "object", properties: { command: { type: "string" } } },
  },
};
const STEPS = 6;
/**
 * Episodes e0…e11 and a few named ones: STEPS bash calls each. Every server knows every episode
 * (so any can take over mid-episode), and keeps each episode's prefix cache on its own.
 */
const NAMES = [...Array.from({ length: 12 }, (_, i) => `e${i}`), "first", "second", "alone", "early"];
const everyone: Conversation[] = NAMES.map((name) => ({
  name,
  match: `Task ${name}:`,
  turns: Array.from({ length: STEPS }, (_, i) => toolCalls({ name: "bash", arguments: { command: `echo ${i}` } })),
}));

async function serve(options: { model?: string; latencyMs?: number; port?: number } = {}) {
  const server = await startFakeOpenAI({ conversations: everyone, maxModelLen: 65_536, ...options });
  servers.push(server);
  return server;
}

function pool(urls: string[], events: EndpointEvent[] = []) {
  const p = new EndpointPool(
    urls,
    { requestTimeoutMs: 2_000, retry: { baseDelayMs: 20, maxDelayMs: 100 } },
    { probeIntervalMs: 100, env: {}, onEvent: (e) => events.push(e) },
  );
  pools.push(p);
  return p;
}

/** An agent-like episode: the history only grows, so a server's prefix cache keeps hitting. */
async function episode(p: EndpointPool, name: string, onStep?: (step: number) => Promise<void> | void) {
  const model = p.lease(name);
  const messages: ChatCompletionMessageParam[] = [
    { role: "system", content: "You are a careful engineer." },
    { role: "user", content: `Task ${name}: fix the bug. ${"context ".repeat(40)}` },
  ];
  const steps: Array<{ endpoint: string; cached: number }> = [];
  try {
    for (let step = 0; step < STEPS; step++) {
      const reply = await model.complete({ messages, tools: [BASH] });
      steps.push({ endpoint: model.endpoint, cached: reply.usage!.cachedPromptTokens! });
      messages.push(toAssistantParam(reply.message));
      messages.push({ role: "tool", tool_call_id: reply.message.toolCalls[0]!.id, content: `output of step ${step} for ${name}` });
      await onStep?.(step);
    }
  } finally {
    model.release();
  }
  return steps;
}

describe("several endpoints of one model", () => {
  it("spreads new episodes to the endpoint with the fewest in flight and keeps each on its endpoint", async () => {
    const [a, b, c] = [await serve(), await serve(), await serve()];
    const p = pool([a.url, b.url, c.url]);
    expect((await p.verify()).model).toBe("fake-model");
    const names = Array.from({ length: 9 }, (_, i) => `e${i}`);
    const runs = await Promise.all(names.map((name) => episode(p, name)));
    for (const steps of runs) {
      expect(new Set(steps.map((s) => s.endpoint)).size).toBe(1);
      // Pinned: after its first request, every request extends a prefix its server has.
      expect(steps.slice(1).every((s) => s.cached > 0)).toBe(true);
    }
    const figures = p.figures();
    expect(figures.map((f) => f.episodes)).toEqual([3, 3, 3]);
    expect(figures.map((f) => f.requests)).toEqual([3 * STEPS, 3 * STEPS, 3 * STEPS]);
    expect(figures.every((f) => f.in_flight === 0 && f.failed_requests === 0 && f.state === "up")).toBe(true);
    expect(figures.every((f) => f.cached_share !== null && f.cached_share > 0.5)).toBe(true);
    // A finished episode frees its place: the next goes to the endpoint with the fewest in flight.
    const busy = p.lease("busy");
    const next = p.lease("next");
    expect(next.endpoint).not.toBe(busy.endpoint);
    busy.release();
    next.release();
  });

  it("moves the episodes of an endpoint that dies, and only those, to the others; every episode finishes", async () => {
    const [a, b, c] = [await serve({ latencyMs: 30 }), await serve({ latencyMs: 30 }), await serve({ latencyMs: 30 })];
    const events: EndpointEvent[] = [];
    const p = pool([a.url, b.url, c.url], events);
    await p.verify();
    let killed: Promise<void> | undefined;
    const names = Array.from({ length: 6 }, (_, i) => `e${i}`);
    const runs = await Promise.all(
      names.map((name) =>
        episode(p, name, (step) => {
          if (step === 2 && !killed) killed = b.close();
        }),
      ),
    );
    await killed;
    const moved = events.filter((e) => e.type === "episode_moved");
    expect(events.some((e) => e.type === "endpoint_down" && e.endpoint === b.url)).toBe(true);
    // The two episodes on b moved once each, to a or c; the others never moved.
    expect(moved).toHaveLength(2);
    expect(moved.every((e) => e.type === "episode_moved" && e.from === b.url && e.to !== b.url)).toBe(true);
    const movedNames = new Set(moved.map((e) => (e.type === "episode_moved" ? e.episode : "")));
    runs.forEach((steps, i) => {
      expect(steps).toHaveLength(STEPS);
      const endpoints = steps.map((s) => s.endpoint);
      if (!movedNames.has(names[i]!)) {
        expect(new Set(endpoints).size).toBe(1);
        return;
      }
      const to = (moved.find((e) => e.type === "episode_moved" && e.episode === names[i]) as { to: string }).to;
      expect(new Set(endpoints)).toEqual(new Set([b.url, to]));
      // On its new endpoint the episode's first request is a full prompt: nothing of it was cached there.
      const arrived = endpoints.indexOf(to);
      expect(steps[arrived]!.cached).toBe(0);
      expect(steps.slice(arrived + 1).every((s) => s.cached > 0)).toBe(true);
    });
    const figures = p.figures();
    expect(figures[1]!.state).toBe("down");
    expect(figures[1]!.moved_out).toBe(2);
    expect(figures[1]!.failed_requests).toBeGreaterThan(0);
    expect(figures[0]!.failed_requests + figures[2]!.failed_requests).toBe(0);
  });

  it("probes an endpoint out of rotation and puts it back when it answers /v1/models", async () => {
    const a = await serve();
    const b = await serve();
    const port = Number(new URL(b.url).port);
    const events: EndpointEvent[] = [];
    const p = pool([a.url, b.url], events);
    await p.verify();
    await b.close();
    await episode(p, "first"); // goes to a (fewest episodes so far: a tie, a first)
    await episode(p, "second"); // goes to b, finds it gone, moves to a
    expect(p.figures()[1]!.state).toBe("down");
    servers.push(await startFakeOpenAI({ conversations: everyone, maxModelLen: 65_536, port }));
    await expect.poll(() => p.figures()[1]!.state, { timeout: 3_000 }).toBe("up");
    expect(events.map((e) => e.type)).toContain("endpoint_up");
    const third = p.lease("third");
    expect(third.endpoint).toBe(b.url);
    third.release();
  });

  it("refuses endpoints that serve different models", async () => {
    const a = await serve({ model: "qwen-32b" });
    const b = await serve({ model: "qwen-72b" });
    const error = await pool([a.url, b.url])
      .verify()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EndpointMismatchError);
    expect((error as Error).message).toMatch(/qwen-32b.*qwen-72b/);
  });

  it("with one endpoint, never moves and fails like a single client", async () => {
    const a = await serve();
    const events: EndpointEvent[] = [];
    const p = pool([a.url], events);
    await p.verify();
    await a.close();
    const error = await episode(p, "alone").catch((e: unknown) => e);
    expect((error as Error).name).toBe("ModelUnavailableError");
    expect(events.filter((e) => e.type === "episode_moved")).toHaveLength(0);
  });

  it("answers a prefetched request from the call made before it was needed", async () => {
    const a = await serve({ latencyMs: 300 });
    const p = pool([a.url]);
    await p.verify();
    const model = p.lease("early");
    const messages: ChatCompletionMessageParam[] = [{ role: "user", content: "Task early: go" }];
    model.prefetch({ messages, tools: [BASH] });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = performance.now();
    const reply = await model.complete({ messages: [...messages], tools: [BASH] });
    expect(performance.now() - started).toBeLessThan(200);
    expect(reply.message.toolCalls[0]!.name).toBe("bash");
    expect(a.requests.filter((r) => r.path === "/v1/chat/completions")).toHaveLength(1);
    model.release();
  });
});
