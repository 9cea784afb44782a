import { ensureBaseImage, BASE_IMAGE } from "../../foundation/sandbox/docker/base-image.ts";
import { connectDocker } from "../../foundation/sandbox/docker/docker-engine.ts";
import { pullImage } from "../../foundation/sandbox/docker/images.ts";
import { buildFixtureImages } from "../../../harness/images/fixture-images.ts";
import { loadDataset } from "../../../harness/dataset/dataset.ts";
import { imageFor } from "../../../harness/images/image-name.ts";
import { CliUsageError } from "./cli-error.ts";
import { listFlag, parseFlags } from "./flags.ts";

const HELP = `usage: bottega images <build-base | build-fixtures | pull> [options]

  build-base                     build ${BASE_IMAGE} (FROM python:3.11-slim when a registry
                                 answers, else from Debian packages with debootstrap)
  build-fixtures [--dataset DIR] build the base image and the instance image of every bundled
                 [--instances a,b]  fixture task (default tasks/fixtures); unchanged ones are kept
  pull --dataset D [--instances a,b] [--image-template T]
                                 pull the official instance images of a dataset`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, { dataset: { type: "string" }, instances: { type: "string" }, "image-template": { type: "string" } }, HELP);
  if (!parsed) return 0;
  const [action] = parsed.positionals;
  const log = (line: string) => console.log(line);
  const docker = await connectDocker();
  switch (action) {
    case "build-base": {
      const result = await ensureBaseImage(docker, log);
      log(result.built ? `built ${BASE_IMAGE} (${result.route})` : `${BASE_IMAGE} already exists`);
      return 0;
    }
    case "build-fixtures": {
      await ensureBaseImage(docker, log);
      const started = Date.now();
      const images = await buildFixtureImages(docker, { datasetDir: parsed.values.dataset, instances: listFlag(parsed.values.instances), log });
      log(`${images.length} fixture images ready (${images.filter((i) => i.built).length} built) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return 0;
    }
    case "pull": {
      if (!parsed.values.dataset) throw new CliUsageError(`images pull needs --dataset\n\n${HELP}`);
      const dataset = await loadDataset({ source: parsed.values.dataset, instances: listFlag(parsed.values.instances) });
      let failed = 0;
      for (const row of dataset.rows) {
        const image = imageFor(row, parsed.values["image-template"]);
        try {
          await pullImage(docker, image, {
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
    default:
      throw new CliUsageError(`unknown images action "${action ?? ""}"\n\n${HELP}`);
  }
}
