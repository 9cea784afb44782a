import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { loadDataset } from "../../harness/dataset/dataset.ts";
import { buildFixtureImages } from "../../harness/images/fixture-images.ts";
import { FIXTURES_DIR, fixtureRepoDir } from "../../harness/images/fixture-repo.ts";
import type { TaskRow } from "../../harness/dataset/task-row.ts";
import { openSandboxBackend } from "../../src/foundation/sandbox/open-backend.ts";
import type { RecordedEpisode } from "../../src/foundation/model/scripted/recorded-episodes.ts";
import type { Conversation } from "../../src/foundation/model/scripted/script.ts";
import { startFakeOpenAI, type FakeOpenAI } from "../../src/foundation/model/scripted/server.ts";
import { episodeFromPatch } from "./scripted-episode.ts";

/**
 * What the end-to-end suites over the fixtures share: the fixture rows and images (built once,
 * kept when unchanged), a results folder of their own, and scripted servers closed at the end.
 */
export function fixtureSuite(name: string) {
  const servers: FakeOpenAI[] = [];
  const suite = {
    rows: [] as TaskRow[],
    results: "",
    ids: () => suite.rows.map((row) => row.instance_id).sort(),
    /** An episode that makes `patch`'s edits (the gold patch by default) and submits. */
    episode: (row: TaskRow, patch = row.patch): RecordedEpisode => ({
      instance_id: row.instance_id,
      description: "",
      actions: episodeFromPatch(patch, fixtureRepoDir(row.instance_id)),
    }),
    serve: async (conversations: Conversation[], options: { maxModelLen?: number; latencyMs?: number } = {}): Promise<FakeOpenAI> => {
      const server = await startFakeOpenAI({
        conversations,
        maxModelLen: options.maxModelLen ?? 32_768,
        latencyMs: options.latencyMs ?? 0,
      });
      servers.push(server);
      return server;
    },
    /** `bottega eval` against `server`, into this suite's results folder. */
    evalArgs: (server: FakeOpenAI, runId: string, ...extra: string[]): string[] => [
      "eval",
      "--model-url",
      server.url,
      "--run-id",
      runId,
      "--results",
      suite.results,
      ...extra,
    ],
    /** A run's file under the results folder, parsed. */
    readJson: (...path: string[]) => JSON.parse(readFileSync(join(suite.results, ...path), "utf8")),
  };
  beforeAll(async () => {
    suite.rows = (await loadDataset({ source: FIXTURES_DIR })).rows;
    await buildFixtureImages(await openSandboxBackend("docker"));
    suite.results = mkdtempSync(join(tmpdir(), `bottega-${name}-`));
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
  });
  return suite;
}
