import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../src/foundation/store/atomic-file.ts";
import type { Prediction } from "../dataset/predictions.ts";
import { makeRunReport, serializeRunReport, type RunReport } from "./run-report.ts";
import type { RunLayout } from "../run/run-layout.ts";
import type { TaskRow } from "../dataset/task-row.ts";
import type { Semantics } from "./test-status.ts";

export type { RunReport };

/** Builds the official run report from the files under results/<run_id>/logs and writes report.json. */
export async function writeRunReport(
  layout: RunLayout,
  rows: readonly TaskRow[],
  predictions: ReadonlyMap<string, Prediction>,
  semantics: Semantics = "v4",
): Promise<RunReport> {
  const report = makeRunReport({
    dataset: rows,
    predictions,
    semantics,
    readInstanceFile: (prediction, file) => {
      try {
        return readFileSync(join(layout.logDir(prediction.instance_id), file), "utf8");
      } catch {
        return null;
      }
    },
  });
  await writeFileAtomic(layout.report, serializeRunReport(report));
  return report;
}
