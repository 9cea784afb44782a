import type { SandboxBackend } from "../../src/foundation/sandbox/sandbox-backend.ts";
import pLimit from "p-limit";
import { loadDataset } from "../dataset/dataset.ts";
import { FIXTURES_DIR } from "./fixture-repo.ts";
import { applyImageTemplate, FIXTURE_IMAGE_TEMPLATE } from "./image-name.ts";
import { buildLocalInstanceImage } from "./local-instance-image.ts";
import { specFor } from "../dataset/specs/index.ts";
import { join } from "node:path";

/**
 * Builds the instance image of every task in a dataset folder that ships its repositories
 * (`repos/<instance_id>/`, like tasks/fixtures), under FIXTURE_IMAGE_TEMPLATE unless told
 * otherwise. Images whose recipe has not changed are kept.
 */
export async function buildFixtureImages(
  sandboxes: SandboxBackend,
  options: {
    datasetDir?: string;
    template?: string;
    instances?: string[];
    workers?: number;
    log?: (line: string) => void;
    mirror?: string;
  } = {},
): Promise<Array<{ instance_id: string; image: string; built: boolean }>> {
  const datasetDir = options.datasetDir ?? FIXTURES_DIR;
  const dataset = await loadDataset({ source: datasetDir, instances: options.instances });
  const limit = pLimit(options.workers ?? 2);
  return Promise.all(
    dataset.rows.map((row) =>
      limit(async () => {
        const image = applyImageTemplate(options.template ?? FIXTURE_IMAGE_TEMPLATE, row);
        const { built } = await buildLocalInstanceImage(sandboxes, {
          row,
          spec: specFor(row, dataset.specs),
          repoDir: join(datasetDir, "repos", row.instance_id),
          image,
          log: options.log,
          mirror: options.mirror,
        });
        options.log?.(`${built ? "built" : "up to date"}: ${image}`);
        return { instance_id: row.instance_id, image, built };
      }),
    ),
  );
}
