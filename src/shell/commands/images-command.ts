import { COMMAND_EXIT_CODES_HELP } from "./exit-codes.ts";
import { BASE_IMAGE } from "../../foundation/sandbox/sandbox-backend.ts";
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
    dataset: {
      kind: "string",
      group: "options",
      placeholder: "D",
      help: "the dataset (build-fixtures: a fixtures folder)",
      defaultText: "tasks/fixtures",
    },
    instances: { kind: "list", group: "options", placeholder: "a,b", help: "only these instance ids" },
    "image-template": { kind: "string", group: "options", placeholder: "T", help: "image names to pull (as in 'bottega eval --help')" },
    mirror: {
      kind: "string",
      group: "options",
      placeholder: "URL",
      help: "Debian mirror debootstrap uses (or env BOTTEGA_DEBIAN_MIRROR)",
      defaultText: "the mirror this machine's apt uses (/etc/apt), else deb.debian.org",
    },
  }),
  epilog: COMMAND_EXIT_CODES_HELP,
};

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandFlags(argv, IMAGES_COMMAND);
  if (!parsed) return 0;
  const [action] = parsed.positionals;
  if (action !== "build-base" && action !== "build-fixtures" && action !== "pull") {
    throw new CliUsageError(`unknown images action "${action ?? ""}": build-base, build-fixtures or pull`);
  }
  // Loaded after the flags are parsed, so --help stays fast.
  const { manageImages } = await import("./images-run.ts");
  return manageImages(action, parsed.values);
}
