import { z } from "zod";
import { salvagePatch } from "../patch.ts";
import type { Tool } from "./tool.ts";

const SubmitArgs = z.strictObject({});

/**
 * `submit`, with SWE-agent's review step: the first call shows the diff and a checklist (rerun
 * the reproduction, remove scratch scripts, revert test files); the next call submits.
 */
export function createSubmitTool(options: { sinceCommit: string; review: boolean; message?: string | null }): Tool<Record<string, never>> {
  let reviewed = !options.review;
  return {
    name: "submit",
    description: "submits the current file changes as the solution to the task",
    schema: SubmitArgs,
    async run(_args, context) {
      if (reviewed) return { output: "Your changes were submitted.", submitted: true };
      reviewed = true;
      const diff = await salvagePatch(context.sandbox, context.repoRoot, options.sinceCommit);
      // A configuration's own review text, as SWE-agent's review_on_submit_m fills it (plain text replacement).
      if (options.message) return { output: options.message.replaceAll("{{diff}}", diff) };
      return {
        output: [
          "Before this is submitted, please review your work:",
          "",
          "1. If you changed the code after you last ran your reproduction script, run it again; if it fails, fix your change.",
          "2. Delete the reproduction script and any other scratch files you created, unless they belong in the change.",
          "3. If you modified any test files, restore them (e.g. `git checkout -- path/to/test_file.py`); the diff below shows which files you touched.",
          "4. Then call submit again to confirm.",
          "",
          "Your changes so far:",
          "",
          "<diff>",
          diff.trimEnd(),
          "</diff>",
        ].join("\n"),
      };
    },
  };
}
