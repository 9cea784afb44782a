import { FIXTURES_DIR } from "../../../harness/images/fixture-repo.ts";
import { FIXTURE_IMAGE_TEMPLATE } from "../../../harness/images/image-name.ts";
import { RunConfig } from "../../../harness/run/run-config.ts";
import { CliUsageError } from "./cli-error.ts";
import { fieldsFromFlags, flagForField, type FlagValues } from "./flag-table.ts";
import { EVAL_FLAGS } from "./run-flags.ts";

export function timestampRunId(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

/**
 * The run config the flags of `eval` or `run` describe: each flag's value at its field, the
 * schema's defaults for the rest; an invalid value is a usage error naming its flag.
 */
export function runConfigFromFlags(v: FlagValues<typeof EVAL_FLAGS>, overrides: { grade: boolean; modelURL?: string }): RunConfig {
  const input = fieldsFromFlags(EVAL_FLAGS, v);
  const bundled = v.dataset === undefined || v.dataset === "fixtures";
  const modelURL = overrides.modelURL ?? v["model-url"] ?? (v.predictions === undefined ? process.env.OPENAI_BASE_URL : undefined);
  // Model flags mean nothing when predictions are graded.
  if (modelURL === undefined) delete input.model;
  else input.model = { ...(input.model as object | undefined), baseURL: modelURL };
  input.runId ??= timestampRunId();
  input.grade = overrides.grade;
  if (bundled) {
    input.dataset = FIXTURES_DIR;
    // The bundled fixtures need no network: keep their containers off it.
    input.network ??= "none";
    input.agentNetwork ??= "none";
    input.imageTemplate ??= FIXTURE_IMAGE_TEMPLATE;
  }
  if (modelURL === undefined) input.gradeWorkers ??= v.workers;
  const result = RunConfig.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new CliUsageError(`${flagForField(EVAL_FLAGS, issue.path)}: ${issue.message}`);
}
