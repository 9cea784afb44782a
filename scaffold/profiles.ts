import { z } from "zod";
import { createBashTool } from "./tools/bash.ts";
import { createEditorTool } from "./tools/editor.ts";
import { createRunTestsTool } from "./tools/run-tests.ts";
import { createSearchTools } from "./tools/search.ts";
import { createSubmitTool } from "./tools/submit.ts";
import type { Tool } from "./tools/tool.ts";

/**
 * Profiles are data: which tools the agent gets.
 * - swe-agent: bash, str_replace_editor, submit (with SWE-agent's review step) — the
 *   interface daVinci-Dev was evaluated with.
 * - navigator: adds find_file / search_dir / search_file and run_tests.
 */
export const Profile = z.enum(["swe-agent", "navigator"]);
export type Profile = z.infer<typeof Profile>;

export interface ProfileOptions {
  commandTimeoutMs: number;
  /** The commit the patch is taken against (shown by submit's review). */
  startCommit: string;
  reviewOnSubmit: boolean;
  /** The review's text, `{{diff}}` standing for the diff; default: Bottega's checklist. */
  reviewMessage?: string | null;
  /** navigator only: how the task's tests are run and read. */
  runTests?: Parameters<typeof createRunTestsTool>[0];
}

/** Fresh tool instances for one episode (the editor's undo history is per episode). */
export function profileTools(profile: Profile, options: ProfileOptions): Tool[] {
  const bash = createBashTool({ timeoutMs: options.commandTimeoutMs });
  const editor = createEditorTool();
  const submit = createSubmitTool({
    sinceCommit: options.startCommit,
    review: options.reviewOnSubmit,
    message: options.reviewMessage ?? null,
  });
  switch (profile) {
    case "swe-agent":
      return [bash, editor, submit] as Tool[];
    case "navigator": {
      if (!options.runTests) throw new Error("the navigator profile needs a test command for run_tests");
      return [bash, editor, ...createSearchTools(), createRunTestsTool(options.runTests), submit] as Tool[];
    }
  }
}
