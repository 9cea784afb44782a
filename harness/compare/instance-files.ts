import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { APPLY_PATCH_FAIL } from "../evaluation/markers.ts";

/**
 * The official per-instance file names (evaluate-instance.ts's LOG_FILES, restated so that
 * compare does not load the Docker client just to know four names).
 */
const LOG_FILES = { patch: "patch.diff", testOutput: "test_output.txt", report: "report.json", log: "run_instance.log" } as const;

/** The names in a folder (empty when it does not exist): one listing instead of a stat per instance. */
export function listNames(dir: string): Set<string> {
  try {
    return new Set(readdirSync(dir));
  } catch {
    return new Set();
  }
}

export function readIfExists(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

/**
 * The official per-instance folder `<dir>/<instance_id>/` (patch.diff, test_output.txt,
 * report.json, run_instance.log), read the same way for Bottega runs and official outputs.
 */
export function instanceFolderFiles(dir: string): {
  patch: string | null;
  testLogPath: string | null;
  reportText: string | null;
  patchApplyFailed: boolean | null;
} {
  const names = listNames(dir);
  const has = (name: string) => names.has(name);
  const reportText = has(LOG_FILES.report) ? readIfExists(join(dir, LOG_FILES.report)) : null;
  const log = has(LOG_FILES.log) ? readIfExists(join(dir, LOG_FILES.log)) : null;
  let patchApplyFailed: boolean | null = null;
  if (log !== null) patchApplyFailed = log.includes(APPLY_PATCH_FAIL);
  else if (reportText !== null) patchApplyFailed = false; // graded, so it applied
  return {
    patch: has(LOG_FILES.patch) ? readIfExists(join(dir, LOG_FILES.patch)) : null,
    testLogPath: has(LOG_FILES.testOutput) ? join(dir, LOG_FILES.testOutput) : null,
    reportText,
    patchApplyFailed,
  };
}

/** A trajectory file for the instance among the given names (`.json`, or the experiments repo's `.traj`). */
export function trajectoryIn(dir: string, names: Set<string>, instanceId: string): string | null {
  for (const ext of [".json", ".traj"]) if (names.has(instanceId + ext)) return join(dir, instanceId + ext);
  return null;
}
