import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { SandboxBackend } from "../../src/foundation/sandbox/sandbox-backend.ts";
import { writeFileAtomic } from "../../src/foundation/store/atomic-file.ts";
import { applyPatch, CONTAINER_PATCH_PATH } from "./apply-patch.ts";
import { gradeInstance, serializeInstanceReport } from "../grading/instance-report.ts";
import { InstanceLog } from "./instance-log.ts";
import { REPO_ROOT } from "./testbed.ts";
import type { Prediction } from "../dataset/predictions.ts";
import type { RepoSpec } from "../dataset/repo-spec.ts";
import type { TaskRow } from "../dataset/task-row.ts";
import type { Semantics } from "../grading/test-status.ts";

export const LOG_FILES = {
  patch: "patch.diff",
  evalScript: "eval.sh",
  testOutput: "test_output.txt",
  report: "report.json",
  log: "run_instance.log",
} as const;

export interface EvaluateInstanceOptions {
  sandboxes: SandboxBackend;
  row: TaskRow;
  prediction: Prediction;
  image: string;
  evalScript: string;
  /** Consulted for the log parser of repos outside the official map. */
  spec?: RepoSpec;
  /** results/<run_id>/logs/<instance_id> */
  logDir: string;
  /** Seconds eval.sh may run (official default 1800). */
  timeoutSec: number;
  semantics: Semantics;
}

/** Why an instance ended without a report.json: the official harness counts these as errors. */
export type EvaluationErrorKind = "patch_apply_failed" | "timeout" | "grading_failed";

export type EvaluationOutcome = { status: "graded"; resolved: boolean } | { status: "error"; kind: EvaluationErrorKind; message: string };

/**
 * Grades one prediction the way the official `run_instance` does: fresh container from the
 * instance image, patch applied with the official chain, eval.sh run with the timeout, the log
 * graded into report.json. Infrastructure failures (engine, container) are thrown for the
 * caller to retry; outcomes the official harness records as errors are returned.
 */
export async function evaluateInstance(options: EvaluateInstanceOptions): Promise<EvaluationOutcome> {
  const { row, prediction, logDir } = options;
  await mkdir(logDir, { recursive: true });
  // A re-run starts from a clean folder: a stale report must never outlive a new attempt.
  for (const name of Object.values(LOG_FILES)) await rm(join(logDir, name), { force: true });
  const log = new InstanceLog(join(logDir, LOG_FILES.log));
  const patch = prediction.model_patch ?? "";
  await writeFile(join(logDir, LOG_FILES.patch), patch);

  const sandbox = await options.sandboxes.create({
    image: options.image,
    role: "grade",
    instanceId: row.instance_id,
    // As the official harness names its containers, with the run and process to keep them apart.
    name: `sweb.eval.${row.instance_id.toLowerCase()}.${options.sandboxes.config.runId ?? "adhoc"}.${process.pid}`,
  });
  try {
    log.info(`Container for ${row.instance_id} created: ${sandbox.id}`);
    await sandbox.writeFile(CONTAINER_PATCH_PATH, patch);
    log.info(`Intermediate patch for ${row.instance_id} written to ${join(logDir, LOG_FILES.patch)}, now applying to container...`);
    const applied = await applyPatch(sandbox, log);
    if (!applied.applied) {
      return { status: "error", kind: "patch_apply_failed", message: applied.output.trim().split("\n").slice(-3).join("\n") };
    }

    const diffBefore = (await sandbox.exec("git -c core.fileMode=false diff", { cwd: REPO_ROOT })).output.trim();
    log.info(`Git diff before:\n${diffBefore}`);

    await writeFile(join(logDir, LOG_FILES.evalScript), options.evalScript);
    log.info(`Eval script for ${row.instance_id} written to ${join(logDir, LOG_FILES.evalScript)}; copying to container...`);
    await sandbox.writeFile("/eval.sh", options.evalScript);

    const started = Date.now();
    const run = await sandbox.exec("/bin/bash /eval.sh", { timeoutMs: options.timeoutSec * 1000, maxOutputBytes: 256 * 1024 * 1024 });
    const seconds = ((Date.now() - started) / 1000).toFixed(2);
    const testOutputPath = join(logDir, LOG_FILES.testOutput);
    if (run.timedOut) {
      const note = `\n\nTimeout error: ${options.timeoutSec} seconds exceeded.`;
      await writeFile(testOutputPath, Buffer.concat([run.raw, Buffer.from(note)]));
      log.info(`Test runtime: ${seconds} seconds`);
      log.error(`Test timed out after ${options.timeoutSec} seconds.`);
      return { status: "error", kind: "timeout", message: `eval.sh exceeded ${options.timeoutSec} s` };
    }
    await writeFile(testOutputPath, run.raw);
    log.info(`Test runtime: ${seconds} seconds`);
    log.info(`Test output for ${row.instance_id} written to ${testOutputPath}`);

    const diffAfter = (await sandbox.exec("git -c core.fileMode=false diff", { cwd: REPO_ROOT })).output.trim();
    log.info(`Git diff after:\n${diffAfter}`);
    if (diffAfter !== diffBefore) log.info("Git diff changed after running eval script");

    let report: ReturnType<typeof gradeInstance>;
    try {
      report = gradeInstance({ row, prediction, log: run.output, semantics: options.semantics, spec: options.spec });
    } catch (error) {
      log.error(`Grading failed: ${(error as Error).message}`);
      return { status: "error", kind: "grading_failed", message: (error as Error).message };
    }
    log.info(`report: ${JSON.stringify(report)}\nResult for ${row.instance_id}: resolved: ${report[row.instance_id]!.resolved}`);
    await writeFileAtomic(join(logDir, LOG_FILES.report), serializeInstanceReport(report));
    return { status: "graded", resolved: report[row.instance_id]!.resolved };
  } finally {
    await sandbox.remove();
  }
}
