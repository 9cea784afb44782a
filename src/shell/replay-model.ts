import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadDataset } from "../../harness/dataset/dataset.ts";
import { FIXTURES_DIR } from "../../harness/images/fixture-repo.ts";
import { parseTrajectory } from "../../scaffold/trajectory.ts";
import { recordedEpisodeOf } from "../../scaffold/trajectory-replay.ts";
import { episodeConversation, loadRecordedEpisodes, type RecordedEpisode } from "../foundation/model/scripted/recorded-episodes.ts";
import { startFakeOpenAI } from "../foundation/model/scripted/server.ts";

/** A folder of trajectories (a run's `trajectories/`, any format version) or of recorded episodes. */
export function loadReplayEpisodes(dir: string): RecordedEpisode[] {
  const names = readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .sort();
  const isTrajectory = (name: string) =>
    String((JSON.parse(readFileSync(join(dir, name), "utf8")) as { format?: unknown }).format ?? "").startsWith("bottega-trajectory/");
  if (names.length === 0 || !names.every(isTrajectory)) return loadRecordedEpisodes(dir);
  return names.map((name) => recordedEpisodeOf(parseTrajectory(JSON.parse(readFileSync(join(dir, name), "utf8")), join(dir, name))));
}

/**
 * The demo's model: the scripted OpenAI-compatible server of the test suite, on loopback,
 * replaying the recorded episodes of the bundled fixtures (or the trajectories of an earlier
 * run). A conversation is recognised by its task's problem statement, which the agent's first
 * message quotes.
 */
export async function startReplayModel(
  source = join(FIXTURES_DIR, "episodes"),
): Promise<{ url: string; source: string; close: () => Promise<void> }> {
  const statements = new Map((await loadDataset({ source: FIXTURES_DIR })).rows.map((row) => [row.instance_id, row.problem_statement]));
  const server = await startFakeOpenAI({
    model: "replay-of-recorded-episodes",
    maxModelLen: 32_768,
    conversations: loadReplayEpisodes(source).map((episode) => episodeConversation(episode, statements.get(episode.instance_id))),
  });
  return {
    url: server.url,
    source: source === join(FIXTURES_DIR, "episodes") ? "tasks/fixtures/episodes" : source,
    close: () => server.close(),
  };
}
