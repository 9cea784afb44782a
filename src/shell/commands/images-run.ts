import { openSandboxBackend } from "../../foundation/sandbox/open-backend.ts";
import { BASE_IMAGE } from "../../foundation/sandbox/sandbox-backend.ts";
import { buildFixtureImages } from "../../../harness/images/fixture-images.ts";
import { workshopOf } from "../../../harness/images/local-instance-image.ts";
import { loadDataset } from "../../../harness/dataset/dataset.ts";
import { imageFor, imageTemplateProblem } from "../../../harness/images/image-name.ts";
import { CliUsageError } from "./cli-error.ts";
import type { FlagValues } from "./flag-table.ts";
import type { IMAGES_COMMAND } from "./images-command.ts";

/** Builds the base and fixture images, or pulls a dataset's instance images. */
export async function manageImages(
  action: "build-base" | "build-fixtures" | "pull",
  values: FlagValues<typeof IMAGES_COMMAND.flags>,
): Promise<number> {
  const parsed = { values };
  const log = (line: string) => console.log(line);
  const sandboxes = await openSandboxBackend("docker");
  switch (action) {
    case "build-base": {
      const result = await workshopOf(sandboxes).ensureBaseImage({ log, mirror: parsed.values.mirror });
      log(result.built ? `built ${BASE_IMAGE} (${result.route})` : `${BASE_IMAGE} already exists`);
      return 0;
    }
    case "build-fixtures": {
      await workshopOf(sandboxes).ensureBaseImage({ log, mirror: parsed.values.mirror });
      const started = Date.now();
      const images = await buildFixtureImages(sandboxes, {
        datasetDir: parsed.values.dataset,
        instances: parsed.values.instances,
        log,
        mirror: parsed.values.mirror,
      });
      log(
        `${images.length} fixture images ready (${images.filter((i) => i.built).length} built) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      return 0;
    }
    case "pull": {
      if (!parsed.values.dataset) throw new CliUsageError("images pull needs --dataset; 'bottega images --help' lists the options.");
      const problem = parsed.values["image-template"] && imageTemplateProblem(parsed.values["image-template"]);
      if (problem) throw new CliUsageError(`--image-template: ${problem}`);
      const dataset = await loadDataset({ source: parsed.values.dataset, instances: parsed.values.instances });
      let failed = 0;
      for (const row of dataset.rows) {
        const image = imageFor(row, parsed.values["image-template"]);
        try {
          await sandboxes.pullImage(image, {
            onProgress: (p) =>
              p.total && process.stderr.write(`\r${image}: ${(p.current / 1e6).toFixed(0)}/${(p.total / 1e6).toFixed(0)} MB`),
          });
          process.stderr.write("\n");
          log(`pulled ${image}`);
        } catch (error) {
          failed++;
          console.error(`\n${(error as Error).message}`);
        }
      }
      return failed > 0 ? 1 : 0;
    }
  }
}
