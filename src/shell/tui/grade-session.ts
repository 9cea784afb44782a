import { join } from "node:path";
import { loadDataset } from "../../../harness/dataset/dataset.ts";
import { specFor } from "../../../harness/dataset/specs/index.ts";
import { evalScriptFor } from "../../../harness/evaluation/eval-script.ts";
import { evaluateInstance } from "../../../harness/evaluation/evaluate-instance.ts";
import { openSandboxBackend } from "../../foundation/sandbox/open-backend.ts";
import type { SessionRecord } from "./session-store.ts";

export interface SessionGrade {
  resolved: boolean | null;
  /** Why there is no verdict (the patch did not apply, the tests timed out, …). */
  error: string | null;
  log_dir: string;
}

/**
 * Grades a SWE-bench session's patch with the official rules, as `eval` does: a fresh container
 * from the instance image, the patch applied the official way, the generated eval script, the
 * log read by the repository's parser. The logs go beside the session's trajectory.
 */
export async function gradeSession(record: SessionRecord, patch: string, sessionRoot: string, modelName: string): Promise<SessionGrade> {
  if (!record.dataset) throw new Error("grading needs a SWE-bench instance (--instance ID)");
  const dataset = await loadDataset({ source: record.dataset, instances: [record.instance_id.replace(/-task\d+$/, "")] });
  const row = dataset.rows[0]!;
  const spec = specFor(row, dataset.specs);
  const logDir = join(sessionRoot, "logs", row.instance_id);
  const sandboxes = await openSandboxBackend("docker", { runId: record.session_id, network: { grade: record.network } });
  const outcome = await evaluateInstance({
    sandboxes,
    row,
    prediction: { instance_id: row.instance_id, model_name_or_path: modelName, model_patch: patch },
    image: record.image,
    evalScript: evalScriptFor(row, spec, { source: "generated" }),
    spec,
    logDir,
    timeoutSec: 1800,
    semantics: "v4",
  });
  return outcome.status === "graded"
    ? { resolved: outcome.resolved, error: null, log_dir: logDir }
    : { resolved: null, error: `${outcome.kind}: ${outcome.message}`, log_dir: logDir };
}
