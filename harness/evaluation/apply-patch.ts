import type { Sandbox } from "../../src/foundation/sandbox/sandbox.ts";
import type { InstanceLog } from "./instance-log.ts";
import { APPLY_PATCH_FAIL, APPLY_PATCH_PASS } from "./markers.ts";
import { REPO_ROOT } from "./testbed.ts";

/** Where the official harness copies the model patch inside the container. */
export const CONTAINER_PATCH_PATH = "/tmp/patch.diff";

/** The official v4.1.0 chain, tried in order; the first exit code 0 wins. */
export const APPLY_COMMANDS = ["git apply --verbose", "git apply --verbose --reject", "patch --batch --fuzz=5 -p1 -i"] as const;

export type ApplyOutcome = { applied: true; command: string; output: string } | { applied: false; output: string };

/**
 * Applies /tmp/patch.diff in /testbed with the official chain, logging as the official harness
 * does. Unlike v4.1.0 (like v5), the tree is put back between attempts, so `.rej` files and
 * partial hunks of a failed `--reject` cannot spoil the `patch` fallback; files that were
 * untracked before the first attempt are kept.
 */
export async function applyPatch(sandbox: Sandbox, log: InstanceLog, workdir = REPO_ROOT): Promise<ApplyOutcome> {
  const untrackedBefore = `/tmp/.bottega-untracked-before`;
  await sandbox.exec(`git ls-files --others --exclude-standard > ${untrackedBefore}`, { cwd: workdir });
  let output = "";
  for (const [attempt, command] of APPLY_COMMANDS.entries()) {
    if (attempt > 0) {
      await sandbox.exec(
        `git checkout -- . && git ls-files --others --exclude-standard | grep -vxF -f ${untrackedBefore} | xargs -r -d '\\n' rm -f --`,
        { cwd: workdir },
      );
    }
    const result = await sandbox.exec(`${command} ${CONTAINER_PATCH_PATH}`, { cwd: workdir, user: "root" });
    output = result.output;
    if (result.exitCode === 0) {
      log.info(`${APPLY_PATCH_PASS}:\n${output}`);
      return { applied: true, command, output };
    }
    log.info(`Failed to apply patch to container: ${command}`);
  }
  log.info(`${APPLY_PATCH_FAIL}:\n${output}`);
  return { applied: false, output };
}
