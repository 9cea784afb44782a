/**
 * Writes tasks/fixtures/episodes/<instance_id>.json: for each fixture, an episode that explores,
 * makes the gold patch's edits with str_replace_editor, runs the tests and submits. These are the
 * recorded episodes the demo replays.
 *
 *   npx tsx test/support/record-episodes.ts
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadDataset } from "../../harness/dataset/dataset.ts";
import { FIXTURES_DIR, fixtureRepoDir } from "../../harness/images/fixture-repo.ts";
import { episodeFromPatch } from "./scripted-episode.ts";

const dir = join(FIXTURES_DIR, "episodes");
mkdirSync(dir, { recursive: true });
for (const row of (await loadDataset({ source: FIXTURES_DIR })).rows) {
  const episode = {
    instance_id: row.instance_id,
    description: "Explores the repository, makes the fix with str_replace_editor, runs the tests and submits.",
    actions: episodeFromPatch(row.patch, fixtureRepoDir(row.instance_id)),
  };
  writeFileSync(join(dir, `${row.instance_id}.json`), JSON.stringify(episode, null, 2) + "\n");
  console.log(`${row.instance_id}: ${episode.actions.length} actions`);
}
