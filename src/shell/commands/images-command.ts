import { openSandboxBackend } from "../../foundation/sandbox/open-backend.ts";
import { BASE_IMAGE } from "../../foundation/sandbox/sandbox-backend.ts";
import { buildFixtureImages } from "../../../harness/images/fixture-images.ts";
import { workshopOf } from "../../../harness/images/local-instance-image.ts";
import { loadDataset } from "../../../harness/dataset/dataset.ts";
import { imageFor } from "../../../harness/images/image-name.ts";
import { CliUsageError } from "./cli-error.ts";
import { flagTable, parseCommandFlags } from "./flag-table.ts";

export const IMAGES_COMMAND = {
  usage: "usage: bottega images <build-base | build-fixtures | pull> [options]",
  description: `  build-base       build ${BASE_IMAGE} (FROM python:3.11-slim when a registry answers,
                   else from Debian packages with debootstrap)
  build-fixtures   build the base image and the instance image of every bundled fixture task;
                   unchanged ones are kept
  pull             pull the official instance images of a dataset (--dataset needed)`,
  positionals: "action",
  flags: flagTable({
    dataset: { kind: "string", group: "options", placeholder: "D", help: "the dataset (build-fixtures: a fixtures folder)", defaultText: "tasks/fixtures" },
    instances: { kind: "list", group: "options", placeholder: "a,b", help: "only these instance ids" },
    "image-template": { kind: "string", group: "options", placeholder: "T", help: "image names to pull (as in 'bottega eval --help')" },
  }),
};

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandFlags(argv, IMAGES_COMMAND);
  if (!parsed) return 0;
  const [action] = parsed.positionals;
  if (action !== "build-base" && action !== "build-fixtures" && action !== "pull") {
    throw new CliUsageError(`unknown images action "${action ?? ""}": build-base, build-fixtures or pull`);
  }
  const log = (line: string) => console.log(line);
  const sandboxes = await openSandboxBackend("docker");
  switch (action) {
    case "build-base": {
      const result = await workshopOf(sandboxes).ensureBaseImage({ log });
      log(result.built ? `built ${BASE_IMAGE} (${result.route})` : `${BASE_IMAGE} already exists`);
      return 0;
    }
    case "build-fixtures": {
      await workshopOf(sandboxes).ensureBaseImage({ log });
      const started = Date.now();
      const images = await buildFixtureImages(sandboxes, { datasetDir: parsed.values.dataset, instances: parsed.values.instances, log });
      log(`${images.length} fixture images ready (${images.filter((i) => i.built).length} built) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return 0;
    }
    case "pull": {
      if (!parsed.values.dataset) throw new CliUsageError("images pull needs --dataset; 'bottega images --help' lists the options.");
      const dataset = await loadDataset({ source: parsed.values.dataset, instances: parsed.values.instances });
      let failed = 0;
      for (const row of dataset.rows) {
        const image = imageFor(row, parsed.values["image-template"]);
        try {
          await sandboxes.pullImage(image, {
            onProgress: (p) => p.total && process.stderr.write(`\r${image}: ${(p.current / 1e6).toFixed(0)}/${(p.total / 1e6).toFixed(0)} MB`),
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
