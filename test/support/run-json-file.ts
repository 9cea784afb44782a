import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { RunConfig, type RunConfigInput } from "../../harness/run/run-config.ts";
import { runJsonText, type RunRecord } from "../../harness/run/run-json.ts";

/**
 * Writes <dir>/run.json for a run folder made by hand, through bottega's own writer so it has the
 * shape a run writes. The config is parsed (defaults filled); it grades gold patches unless it says otherwise.
 */
export function writeRunJsonFile(dir: string, config: RunConfigInput, fields: Partial<Omit<RunRecord, "config">> = {}): void {
  const parsed = RunConfig.parse({ predictions: config.model ? undefined : "gold", ...config });
  const record: RunRecord = {
    config: parsed,
    dataset: parsed.dataset,
    started_at: new Date(0).toISOString(),
    node: process.version,
    ...fields,
  };
  writeFileSync(join(dir, "run.json"), runJsonText(record));
}
