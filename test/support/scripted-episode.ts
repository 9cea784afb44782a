import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parsePatch } from "diff";
import type { ScriptedToolCall } from "../../src/foundation/model/scripted/script.ts";

/** One scripted reply: one tool call (tools mode) and the thought said with it. */
export interface ScriptedAction {
  thought: string;
  call: ScriptedToolCall & { arguments: Record<string, unknown> };
}

const bash = (thought: string, command: string): ScriptedAction => ({ thought, call: { name: "bash", arguments: { command } } });
const editor = (thought: string, args: Record<string, unknown>): ScriptedAction => ({
  thought,
  call: { name: "str_replace_editor", arguments: args },
});

/**
 * A plausible agent episode that ends with `patch` applied: explore, read the files, run the
 * existing tests, make the patch's edits with str_replace_editor (one str_replace per hunk, a
 * create per new file), run the tests again, submit and confirm the review. `repoDir` holds the
 * repository at base (to check that each old_str is unique, as the real editor will).
 */
export function episodeFromPatch(patch: string, repoDir: string, testDir = "tests"): ScriptedAction[] {
  const files = parsePatch(patch).filter((file) => file.newFileName && file.newFileName !== "/dev/null");
  const path = (name: string) => `/testbed/${name.replace(/^b\//, "")}`;
  const actions: ScriptedAction[] = [
    bash("Let me look at the repository first.", "cd /testbed && git status --short && ls"),
    ...files
      .filter((file) => file.oldFileName !== "/dev/null")
      .map((file) => editor(`Reading ${file.oldFileName!.replace(/^a\//, "")}.`, { command: "view", path: path(file.newFileName!) })),
    bash("Running the existing tests to see where things stand.", `cd /testbed && python -m pytest -q ${testDir} 2>&1 | tail -3`),
  ];
  for (const file of files) {
    const relative = file.newFileName!.replace(/^b\//, "");
    if (file.oldFileName === "/dev/null") {
      const content = file.hunks.flatMap((hunk) => hunk.lines.filter((l) => l.startsWith("+")).map((l) => l.slice(1))).join("\n") + "\n";
      actions.push(editor(`Creating ${relative}.`, { command: "create", path: path(relative), file_text: content }));
      continue;
    }
    const original = readFileSync(join(repoDir, relative), "utf8");
    for (const hunk of file.hunks) {
      const body = hunk.lines.filter((l) => !l.startsWith("\\"));
      const oldStr = body
        .filter((l) => !l.startsWith("+"))
        .map((l) => l.slice(1))
        .join("\n");
      const newStr = body
        .filter((l) => !l.startsWith("-"))
        .map((l) => l.slice(1))
        .join("\n");
      if (original.split(oldStr).length !== 2) throw new Error(`${relative}: hunk @@ -${hunk.oldStart} is not unique in the base file`);
      actions.push(editor(`Fixing ${relative}.`, { command: "str_replace", path: path(relative), old_str: oldStr, new_str: newStr }));
    }
  }
  actions.push(
    bash("Running the tests again after the fix.", `cd /testbed && python -m pytest -q ${testDir} 2>&1 | tail -3`),
    { thought: "The fix is in place; submitting.", call: { name: "submit", arguments: {} } },
    { thought: "I reviewed the diff; confirming the submission.", call: { name: "submit", arguments: {} } },
  );
  return actions;
}
