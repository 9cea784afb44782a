/**
 * The scripted server in its own process, so a benchmark measures the runner's CPU alone.
 * Every conversation gets the same script: `steps` cheap bash calls, then submit twice. With
 * `episodes`, each episode is its own conversation (recognised by "[copy i]" in its task), so
 * the server's prefix-cache figures are per episode as vLLM's would be.
 *
 *   tsx test/bench/fake-server-process.ts <steps> <latencyMs> [episodes]   → prints the URL
 */
import { toolCalls, type Conversation, type ReplyTurn } from "../../src/foundation/model/scripted/script.ts";
import { startFakeOpenAI } from "../../src/foundation/model/scripted/server.ts";

const steps = Number(process.argv[2] ?? 50);
const latencyMs = Number(process.argv[3] ?? 0);
const episodes = Number(process.argv[4] ?? 0);
const turns: ReplyTurn[] = [
  ...Array.from({ length: steps }, (_, i) =>
    toolCalls({ name: "bash", arguments: { command: `echo step ${i} && ls /testbed | head -3` } }),
  ),
  toolCalls({ name: "submit", arguments: {} }),
  toolCalls({ name: "submit", arguments: {} }),
];
const conversations: Conversation[] =
  episodes > 0
    ? Array.from({ length: episodes }, (_, i) => ({ name: `copy${i}`, match: `[copy ${i}]`, turns }))
    : [{ name: "all", match: () => true, turns }];
const server = await startFakeOpenAI({ conversations, latencyMs, maxModelLen: 131_072 });
console.log(server.url);
process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));
