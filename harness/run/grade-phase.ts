import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Prediction } from "../dataset/predictions.ts";
import { specFor } from "../dataset/specs/index.ts";
import type { TaskRow } from "../dataset/task-row.ts";
import { evalScriptFor, withTestExitCode } from "../evaluation/eval-script.ts";
import { evaluateInstance, LOG_FILES } from "../evaluation/evaluate-instance.ts";
import { inPhase, PhaseError } from "./phase-error.ts";
import type { RunContext } from "./prepare-run.ts";

/**
 * The grade phase, as the official harness grades: a patch that does not apply is a "patch"
 * error; eval.sh timing out or a log that cannot be graded an "evaluation" error (both counted
 * as errors by the official harness too); the machine failing an infrastructure error.
 */
export function runGradePhase(run: RunContext, row: TaskRow, prediction: Prediction, image: string, worker: number): Promise<void> {
  const id = row.instance_id;
  return inPhase("grade", "evaluation", async () => {
    const spec = specFor(row, run.dataset.specs);
    let script = evalScriptFor(row, spec, { source: run.config.evalScript, resetPolicy: run.config.resetPolicy });
    if (run.config.grading === "v5") script = withTestExitCode(script);
    run.events.emit({ type: "phase_started", instance_id: id, phase: "grade", worker });
    if (existsSync(join(run.layout.logDir(id), LOG_FILES.report))) {
      // The official harness would reuse the old report even though the patch changed.
      run.events.emit({ type: "note", instance_id: id, message: "the patch changed since it was graded: grading it again" });
    }
    const outcome = await evaluateInstance({
      sandboxes: run.sandboxes,
      row,
      prediction,
      image,
      evalScript: script,
      spec,
      logDir: run.layout.logDir(id),
      timeoutSec: run.config.timeoutSec,
      semantics: run.config.grading,
    });
    if (outcome.status === "graded") {
      run.events.emit({ type: "graded", instance_id: id, resolved: outcome.resolved });
      return;
    }
    throw new PhaseError("grade", outcome.kind === "patch_apply_failed" ? "patch" : "evaluation", outcome.kind, outcome.message);
  });
}
