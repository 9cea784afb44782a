import { runBatch, type RunResult } from "../../../harness/run/run-orchestrator.ts";
import { sandboxConfigFor, type RunConfig } from "../../../harness/run/run-config.ts";
import type { RunEvent } from "../../../harness/run/run-events.ts";
import { RunEvent as RunEventSchema } from "../../../harness/run/run-events.ts";
import { runStats } from "../../../harness/run/run-stats.ts";
import { SandboxConfigError } from "../../foundation/sandbox/errors.ts";
import { openSandboxBackend } from "../../foundation/sandbox/open-backend.ts";
import { EndpointMismatchError } from "../../foundation/model/endpoint-errors.ts";
import { BundleInstallError } from "../../../scaffold/bundles/bundle-install.ts";
import { ChangedConfigError, describeChange } from "../../../harness/run/resume-check.ts";
import { CliUsageError } from "./cli-error.ts";
import { flagForField } from "./flag-table.ts";
import { EVAL_FLAGS } from "./run-flags.ts";
import { readJsonl } from "../../foundation/store/jsonl.ts";
import { eventLine } from "./event-line.ts";
import { EXIT } from "./exit-codes.ts";
import { abortOnSignals, resumeHint } from "./interrupt.ts";

/**
 * Runs a batch the way every command does: plain event lines (or the dashboard on a terminal),
 * Ctrl-C stops new work and removes the run's containers, and an interrupted run prints the
 * command that resumes it. Exit code: 130 interrupted, 1 when some instance ended in an error
 * (or was left unfinished), else 0.
 */
export async function executeRun(
  command: string,
  argv: readonly string[],
  config: RunConfig,
  options: { allowChangedConfig: boolean },
): Promise<{ code: number; result: RunResult }> {
  // The engine is asked before the dashboard starts, so a missing one is one clear error.
  const sandboxes = await openSandboxBackend(config.sandbox, sandboxConfigFor(config)).catch((error: unknown) => {
    throw error instanceof SandboxConfigError ? new CliUsageError(error.message) : error;
  });
  const dashboard = wantsDashboard(argv)
    ? (await import("../dashboard/dashboard.tsx")).mountDashboard({ grading: config.grade })
    : undefined;
  const interrupt = abortOnSignals(() =>
    dashboard ? dashboard.stopping() : process.stderr.write("\nstopping: no new work; removing this run's containers…\n"),
  );
  const onEvent = (event: RunEvent) => {
    if (dashboard) return dashboard.onEvent(event);
    const line = eventLine(event);
    if (line) console.log(line);
  };
  try {
    const result = await runBatch(config, { openSandboxes: async () => sandboxes, signal: interrupt.signal, onEvent, ...options })
      .catch((error: unknown) => {
        if (error instanceof EndpointMismatchError) throw new CliUsageError(`--model-url: ${error.message}`);
        if (error instanceof ChangedConfigError) throw new CliUsageError(changedConfigMessage(error, config.runId));
        // A user's bundle that does not install is a problem with what was asked for, found before any episode ran.
        if (error instanceof BundleInstallError) throw new CliUsageError(error.message);
        throw error;
      })
      .finally(() => dashboard?.close());
    const r = result.report;
    if (r) {
      console.log(
        `\nresolved ${r.resolved_instances}/${r.total_instances}` +
          ` · unresolved ${r.unresolved_instances} · empty ${r.empty_patch_instances} · errors ${r.error_instances}` +
          ` · no prediction ${(r.incomplete_ids as readonly string[]).length}`,
      );
      console.log(`report: ${result.layout.report}\nsummary: ${result.layout.summary}`);
    } else {
      console.log(`\npredictions: ${result.layout.predictions}`);
    }
    if (result.interrupted) {
      console.error(`interrupted; resume with: ${resumeHint(command, argv, config.runId)}`);
      return { code: EXIT.interrupted, result };
    }
    return { code: (await unfinished(result, config)) > 0 ? EXIT.errors : EXIT.finished, result };
  } finally {
    interrupt.dispose();
  }
}

/** Instances of this run that ended in an error or were left without an outcome. */
async function unfinished(result: RunResult, config: RunConfig): Promise<number> {
  const reportErrors = result.report?.error_instances;
  if (typeof reportErrors === "number" && reportErrors > 0) return reportErrors;
  const events = (await readJsonl(result.layout.events)).map((line) => RunEventSchema.parse(line));
  const stats = runStats(events, { now: Date.now(), grading: config.grade });
  const errors = stats.errors.reduce((total, e) => total + e.count, 0);
  return Math.max(errors, stats.total - stats.done);
}

/** The settings that differ, each named by its flag, and the two ways on. */
function changedConfigMessage(error: ChangedConfigError, runId: string): string {
  const changes = error.changes.map((change) => `  ${describeChange(change, (field) => flagForField(EVAL_FLAGS, field))}`);
  return (
    `run ${runId} was started with other settings than these (${error.file}):\n${changes.join("\n")}\n` +
    "start a new --run-id, or pass --allow-changed-config to resume it anyway (the changes are recorded in run.json)"
  );
}

/**
 * The dashboard needs a terminal that shows it as it is drawn: not a pipe or a file (nohup), and
 * not CI, where ink draws nothing until the process exits.
 */
function wantsDashboard(argv: readonly string[]): boolean {
  const ci = process.env.CI !== undefined && process.env.CI !== "0" && process.env.CI !== "false";
  return process.stdout.isTTY === true && !ci && !argv.includes("--no-tui");
}
