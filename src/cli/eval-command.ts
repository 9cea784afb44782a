import { FIXTURES_DIR } from "../../harness/fixture-repo.ts";
import { FIXTURE_IMAGE_TEMPLATE } from "../../harness/image-name.ts";
import { EvalConfig } from "../../harness/run-config.ts";
import { runEvaluation } from "../../harness/run-evaluation.ts";
import { parseByteSize } from "../sandbox/container-spec.ts";
import { connectDocker } from "../sandbox/docker-engine.ts";
import { CliUsageError } from "./cli-error.ts";
import { eventLine } from "./event-line.ts";
import { abortOnSignals, resumeHint } from "./interrupt.ts";
import { listFlag, numberFlag, parseFlags, validateFlags } from "./flags.ts";

const HELP = `usage: bottega eval --predictions FILE|gold [options]

Grades predictions exactly as the official SWE-bench harness would, in fresh containers,
and writes results/<run_id>/ (per-instance logs and report.json, the run report, summary.md).

  --predictions FILE|gold   predictions (.json list or id→prediction map, .jsonl), or gold
  --dataset D               .parquet/.jsonl/.json file, a folder, or "verified"
                            (default: the bundled fixtures, tasks/fixtures)
  --split S                 split of a folder dataset (default test)
  --instances a,b,c         only these instance ids
  --run-id ID               name of the run; the same id resumes it (default: a timestamp)
  --workers N               parallel gradings (default 4)
  --pull-workers N          parallel image pulls (default 2)
  --timeout S               seconds eval.sh may run (default 1800, as upstream)
  --image-template T        local image names, e.g. "local/sweb.eval.{instance_id_lower}:latest"
                            ({instance_id}, {instance_id_lower}, {docker_id}, {repo}, {version})
  --eval-script generated|dataset
                            generate eval.sh with the v4.1.0 rules (default) or use the
                            dataset's eval_script column (SWE-bench v5 datasets)
  --reset-policy 539|v4.1.0|v5-dataset
                            how eval.sh resets test files the test patch creates (default 539)
  --grading v4|v5           grading semantics (default v4, what published results used)
  --network MODE            network of grading containers (default bridge, as upstream; none)
  --memory SIZE --pids N --cpus N
                            container limits (default: none, as upstream)
  --keep-images             keep instance images this run pulled (default: remove after use)
  --results DIR             where runs are written (default results)
  --no-tui                  plain lines even on a terminal`;

const FLAGS = {
  predictions: { type: "string" },
  dataset: { type: "string" },
  split: { type: "string" },
  instances: { type: "string" },
  "run-id": { type: "string" },
  workers: { type: "string" },
  "grade-workers": { type: "string" },
  "pull-workers": { type: "string" },
  timeout: { type: "string" },
  "image-template": { type: "string" },
  "eval-script": { type: "string" },
  "reset-policy": { type: "string" },
  grading: { type: "string" },
  network: { type: "string" },
  memory: { type: "string" },
  pids: { type: "string" },
  cpus: { type: "string" },
  "keep-images": { type: "boolean" },
  results: { type: "string" },
  "no-tui": { type: "boolean" },
} as const;

const FLAG_OF: Record<string, string> = {
  runId: "--run-id",
  gradeWorkers: "--workers",
  pullWorkers: "--pull-workers",
  timeoutSec: "--timeout",
  imageTemplate: "--image-template",
  evalScript: "--eval-script",
  resetPolicy: "--reset-policy",
  memoryBytes: "--memory",
  pidsLimit: "--pids",
  resultsDir: "--results",
};

function timestampRunId(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, FLAGS, HELP);
  if (!parsed) return 0;
  const v = parsed.values;
  if (!v.predictions) throw new CliUsageError(`--predictions is required (a file, or gold)\n\n${HELP}`);
  const bundled = v.dataset === undefined || v.dataset === "fixtures";
  const config = validateFlags(
    EvalConfig,
    {
      runId: v["run-id"] ?? timestampRunId(),
      resultsDir: v.results,
      dataset: bundled ? FIXTURES_DIR : v.dataset,
      split: v.split,
      instances: listFlag(v.instances),
      predictions: v.predictions,
      gradeWorkers: numberFlag("grade-workers", v["grade-workers"]) ?? numberFlag("workers", v.workers),
      pullWorkers: numberFlag("pull-workers", v["pull-workers"]),
      timeoutSec: numberFlag("timeout", v.timeout),
      imageTemplate: v["image-template"] ?? (bundled ? FIXTURE_IMAGE_TEMPLATE : undefined),
      evalScript: v["eval-script"],
      resetPolicy: v["reset-policy"],
      grading: v.grading,
      network: v.network,
      memoryBytes: v.memory === undefined ? undefined : parseByteSize(v.memory),
      pidsLimit: numberFlag("pids", v.pids),
      cpus: numberFlag("cpus", v.cpus),
      keepImages: v["keep-images"],
    },
    (key) => FLAG_OF[key] ?? `--${key}`,
  );

  const docker = await connectDocker();
  const interrupt = abortOnSignals(() => process.stderr.write("\nstopping: no new work; removing this run's containers…\n"));
  try {
    const result = await runEvaluation(config, {
      docker,
      signal: interrupt.signal,
      onEvent: (event) => {
        const line = eventLine(event);
        if (line) console.log(line);
      },
    });
    const r = result.report;
    console.log(
      `\nresolved ${r.resolved_instances}/${r.total_instances}` +
        ` · unresolved ${r.unresolved_instances} · empty ${r.empty_patch_instances} · errors ${r.error_instances}`,
    );
    console.log(`report: ${result.layout.report}\nsummary: ${result.layout.summary}`);
    if (result.interrupted) {
      console.error(`interrupted; resume with: ${resumeHint("eval", argv, config.runId)}`);
      return 130;
    }
    return 0;
  } finally {
    interrupt.dispose();
  }
}
