import { END_TEST_OUTPUT, START_TEST_OUTPUT, TEST_EXIT_CODE } from "./markers.ts";
import type { RepoSpec } from "../dataset/repo-spec.ts";
import type { TaskRow } from "../dataset/task-row.ts";
import { CONDA_ACTIVATE, REPO_ROOT as REPO_DIR } from "./testbed.ts";
import { testDirectives } from "./test-directives.ts";
import { parsePatchFiles, testPatchFiles } from "./test-patch-files.ts";

const TEST_EXIT_CODE_VAR = "SWEBENCH_TEST_EXIT_CODE";
const HEREDOC_DELIMITER = "EOF_114329324912";
const HEADER = ["#!/bin/bash", "set -uxo pipefail"];

/**
 * How eval.sh puts the test files back before applying the test patch and after the tests.
 * - "v4.1.0": `git checkout <bc> <modified files>`; with no modified files that is a bare
 *   `git checkout <bc> `, which moves the tree off the image's setup commit (issue #518).
 * - "539": the fix on main after v4.1.0: check out modified files, `rm -f` created ones.
 * - "v5-dataset": what the v5 Verified parquet's `eval_script` does: one checkout of every
 *   post-image path; a created or renamed path makes git refuse, so nothing is reset.
 */
export type ResetPolicy = "v4.1.0" | "539" | "v5-dataset";
export const DEFAULT_RESET_POLICY: ResetPolicy = "539";

type ScriptRow = Pick<TaskRow, "instance_id" | "repo" | "base_commit" | "test_patch">;

function resetCommands(baseCommit: string, testPatch: string, policy: ResetPolicy): string[] {
  const { modified, created } = testPatchFiles(testPatch);
  switch (policy) {
    case "v4.1.0":
      return [`git checkout ${baseCommit} ${modified.join(" ")}`];
    case "539":
      return [
        ...(modified.length > 0 ? [`git checkout ${baseCommit} ${modified.join(" ")}`] : []),
        ...(created.length > 0 ? [`rm -f ${created.join(" ")}`] : []),
      ];
    case "v5-dataset": {
      const postImage = parsePatchFiles(testPatch)
        .map((file) => file.target)
        .filter((target) => target.startsWith("b/"))
        .map((target) => target.slice(2));
      return [`git checkout ${baseCommit} ${postImage.join(" ")}`];
    }
  }
}

/** The eval.sh of the official Python builder (`make_eval_script_list_py`), byte for byte. */
export function generateEvalScript(row: ScriptRow, spec: RepoSpec, options: { resetPolicy?: ResetPolicy } = {}): string {
  const reset = resetCommands(row.base_commit, row.test_patch, options.resetPolicy ?? DEFAULT_RESET_POLICY);
  const testCommand = [spec.test_cmd, ...testDirectives(row)].join(" ");
  const lines = [
    ...HEADER,
    ...CONDA_ACTIVATE,
    `cd ${REPO_DIR}`,
    ...(spec.eval_commands ?? []),
    `git config --global --add safe.directory ${REPO_DIR}`,
    `cd ${REPO_DIR}`,
    // Informational: the log shows the tree and the image's setup commit.
    "git status",
    "git show",
    `git -c core.fileMode=false diff ${row.base_commit}`,
    ...CONDA_ACTIVATE,
    ...(spec.install === undefined ? [] : [spec.install]),
    ...reset,
    `git apply -v - <<'${HEREDOC_DELIMITER}'\n${row.test_patch}\n${HEREDOC_DELIMITER}`,
    // `:` is a no-op: the markers reach the log only through xtrace.
    `: '${START_TEST_OUTPUT}'`,
    testCommand,
    `: '${END_TEST_OUTPUT}'`,
    ...reset,
  ];
  return lines.join("\n") + "\n";
}

/** Asked for the dataset's own `eval_script`, but the row has none (a pre-v5 dataset). */
export class MissingEvalScriptError extends Error {
  constructor(readonly instanceId: string) {
    super(
      `instance ${instanceId} has no eval_script column; use the generated script ` +
        `(eval script source "generated") or a dataset with the SWE-bench v5 columns`,
    );
    this.name = "MissingEvalScriptError";
  }
}

export type EvalScriptSource = "generated" | "dataset";

export function evalScriptFor(
  row: ScriptRow & Pick<TaskRow, "eval_script">,
  spec: RepoSpec,
  options: { source: EvalScriptSource; resetPolicy?: ResetPolicy },
): string {
  if (options.source === "generated") return generateEvalScript(row, spec, options);
  if (row.eval_script === undefined) throw new MissingEvalScriptError(row.instance_id);
  return row.eval_script;
}

/**
 * SWE-bench v5's `record_test_exit_code`: capture the test command's exit status right after it
 * and echo it after the end marker, outside the graded region. The script is normalised the way
 * v5 loads it: whole-script whitespace trimmed, every shebang/`set` line dropped, then re-headed.
 * A script without an end marker keeps its commands unchanged.
 */
export function withTestExitCode(script: string): string {
  const lines = script
    .trim()
    .split("\n")
    .filter((line) => !HEADER.includes(line));
  const end = lines.findIndex((line) => line.includes(END_TEST_OUTPUT));
  const body =
    end === -1
      ? lines
      : [
          ...lines.slice(0, end),
          `${TEST_EXIT_CODE_VAR}=$?`,
          lines[end]!,
          `echo "${TEST_EXIT_CODE}: $${TEST_EXIT_CODE_VAR}"`,
          ...lines.slice(end + 1),
        ];
  return [...HEADER, ...body].join("\n") + "\n";
}
