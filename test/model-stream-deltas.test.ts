import { describe, expect, it } from "vitest";
import { ModelClient } from "../src/foundation/model/model-client.ts";
import { startFakeOpenAI } from "../src/foundation/model/scripted/server.ts";

describe("ModelClient streaming deltas (for the fix UI)", () => {
  it("hands each piece of content and tool-call arguments to onDelta as it arrives; the assembled reply is the same", async () => {
    const server = await startFakeOpenAI({
      streamChunkChars: 3,
      conversations: [
        {
          name: "c",
          match: () => true,
          turns: [
            {
              type: "reply",
              content: "Reading the parser first.",
              toolCalls: [{ name: "bash", arguments: { command: "cat calc/parser.py" } }],
            },
          ],
        },
      ],
    });
    try {
      const client = new ModelClient({ baseURL: server.url, stream: true, useTokenize: false });
      const deltas: Array<{ kind: string; text: string }> = [];
      const reply = await client.complete({ messages: [{ role: "user", content: "go" }], onDelta: (d) => deltas.push(d) });
      const content = deltas.filter((d) => d.kind === "content");
      expect(content.length).toBeGreaterThan(3);
      expect(content.map((d) => d.text).join("")).toBe("Reading the parser first.");
      expect(
        deltas
          .filter((d) => d.kind === "arguments")
          .map((d) => d.text)
          .join(""),
      ).toBe(reply.message.toolCalls[0]!.arguments);
      expect(reply.message.content).toBe("Reading the parser first.");
    } finally {
      await server.close();
    }
  });
});
