import { join } from "node:path";
import { loadDataset } from "../../harness/dataset/dataset.ts";
import { FIXTURES_DIR } from "../../harness/images/fixture-repo.ts";
import { episodeConversation, loadRecordedEpisodes } from "../foundation/model/scripted/recorded-episodes.ts";
import { startFakeOpenAI } from "../foundation/model/scripted/server.ts";

/**
 * The demo's model: the scripted OpenAI-compatible server of the test suite, on loopback,
 * replaying the recorded episodes of the bundled fixtures. A conversation is recognised by its
 * task's problem statement, which the agent's first message quotes.
 */
export async function startReplayModel(): Promise<{ url: string; source: string; close: () => Promise<void> }> {
  const source = join(FIXTURES_DIR, "episodes");
  const statements = new Map((await loadDataset({ source: FIXTURES_DIR })).rows.map((row) => [row.instance_id, row.problem_statement]));
  const server = await startFakeOpenAI({
    model: "replay-of-recorded-episodes",
    maxModelLen: 32_768,
    conversations: loadRecordedEpisodes(source).map((episode) => episodeConversation(episode, statements.get(episode.instance_id))),
  });
  return { url: server.url, source: "tasks/fixtures/episodes", close: () => server.close() };
}
