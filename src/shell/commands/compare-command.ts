import { resolve } from "node:path";
import { CliUsageError } from "./cli-error.ts";
import { flagTable, parseCommandFlags } from "./flag-table.ts";

/** A significant drop under --fail-if-regressed: distinct from 1 (errors) and 2 (usage). */
export const EXIT_REGRESSED = 3;

export const COMPARE_COMMAND = {
  usage: "usage: bottega compare RUN [RUN …] [options]",
  description: `Compares evaluation runs on the instances they share: resolved rates with 95% intervals, the
paired difference (bootstrap interval, exact McNemar test), gained and lost instances, per
repository and per difficulty, exit statuses, empty-patch and apply-failure rates, steps,
tokens and wall time per episode, and integrity flags. One RUN alone gives that run's report;
three or more are a series (one run per training stage, in the order given).

Each RUN is a Bottega run (its id under --results, or its folder), an official harness output
folder (logs/run_evaluation/<run_id>/<model>/), an official run report (<model>.<run_id>.json)
or a SWE-bench experiments results.json.

Writes compare.json (every number; schema in docs/compare-json.md), compare.md and
compare.html into --out, and prints a summary.`,
  positionals: "RUN",
  flags: flagTable({
    dataset: {
      kind: "string",
      group: "options",
      placeholder: "D",
      help: "rows for runs that do not record their dataset (official\noutputs): repositories, difficulty, test patches; runs that list\nonly some instances get the rest counted as unsubmitted",
    },
    split: { kind: "string", group: "options", placeholder: "S", help: "the dataset's split", default: "test" },
    results: { kind: "string", group: "options", placeholder: "DIR", help: "where Bottega runs are", default: "results" },
    out: { kind: "string", group: "options", placeholder: "DIR", help: "where the reports go", default: "results/compare" },
    group: {
      kind: "strings",
      group: "options",
      placeholder: "NAME=RUN,RUN,…",
      help: "runs that are seeds of one checkpoint (repeatable): pass@k,\nmean@k, flaky instances; groups are compared on per-instance rates",
    },
    "allow-different-instances": {
      kind: "boolean",
      group: "options",
      help: "compare the instances common to all runs (the others are listed)",
    },
    "fail-if-regressed": {
      kind: "boolean",
      group: "options",
      help: `exit ${EXIT_REGRESSED} when the last run (or group) is significantly worse than the first`,
    },
    alpha: { kind: "number", group: "options", placeholder: "A", help: "significance level", default: 0.05 },
    "min-drop": {
      kind: "number",
      group: "options",
      placeholder: "POINTS",
      help: "smallest drop, in percentage points, that fails the gate",
      default: 0,
    },
    seed: { kind: "integer", group: "options", placeholder: "N", help: "bootstrap seed", defaultText: "printed in the report" },
    resamples: { kind: "integer", group: "options", placeholder: "N", help: "bootstrap resamples", defaultText: "10000" },
  }),
  epilog: `Exit codes: 0 compared (and not regressed); 1 an input could not be read; 2 usage error (also
runs over different instances without --allow-different-instances); ${EXIT_REGRESSED} regressed
under --fail-if-regressed; 130 interrupted.`,
};

/** `NAME=a,b,c` (or `a,b,c`, named after its position). */
function parseGroup(value: string, position: number): { name: string; members: string[] } {
  const eq = value.indexOf("=");
  const name = eq > 0 ? value.slice(0, eq) : `group${position + 1}`;
  const members = (eq > 0 ? value.slice(eq + 1) : value).split(",").filter(Boolean);
  if (members.length === 0) throw new CliUsageError(`--group "${value}": expected NAME=RUN,RUN,…`);
  return { name, members };
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandFlags(argv, COMPARE_COMMAND);
  if (!parsed) return 0;
  const v = parsed.values;
  const alpha = v.alpha;
  if (!(alpha > 0 && alpha < 1)) throw new CliUsageError(`--alpha: expected a number between 0 and 1, got ${alpha}`);
  const minDrop = v["min-drop"];
  if (minDrop < 0) throw new CliUsageError(`--min-drop: expected points ≥ 0, got ${minDrop}`);
  const seed = v.seed;
  const resamples = v.resamples;
  if (resamples !== undefined && !(resamples >= 100)) throw new CliUsageError(`--resamples: expected an integer ≥ 100, got ${v.resamples}`);

  const args = [...parsed.positionals];
  const groups = (v.group ?? []).map(parseGroup).map(({ name, members }) => ({
    name,
    runIndexes: members.map((member) => {
      const at = args.indexOf(member);
      if (at >= 0) return at;
      args.push(member);
      return args.length - 1;
    }),
  }));
  if (args.length === 0) throw new CliUsageError("compare needs at least one run; 'bottega compare --help' lists the options.");
  const grouped = new Set<number>();
  for (const group of groups)
    for (const i of group.runIndexes) {
      if (grouped.has(i)) throw new CliUsageError(`--group: ${args[i]} is in more than one group`);
      grouped.add(i);
    }

  // Loaded after the flags are checked: --help and usage errors must not pay for the statistics and the readers.
  const [{ buildComparison }, { DifferentInstancesError, readCompareInputs }, { terminalSummary }, { writeCompareOutputs }] =
    await Promise.all([
      import("../../../harness/compare/build-comparison.ts"),
      import("../../../harness/compare/compare-inputs.ts"),
      import("../../../harness/compare/terminal-summary.ts"),
      import("../../../harness/compare/write-compare-outputs.ts"),
    ]);
  let inputs: Awaited<ReturnType<typeof readCompareInputs>>;
  try {
    inputs = await readCompareInputs({
      arguments: args,
      resultsDir: v.results,
      dataset: v.dataset,
      split: v.split,
      allowDifferentInstances: v["allow-different-instances"] ?? false,
    });
  } catch (error) {
    if (error instanceof DifferentInstancesError) throw new CliUsageError(error.message);
    throw error;
  }
  const outDir = resolve(v.out);
  const report = buildComparison(inputs, {
    outDir,
    alpha,
    seed,
    resamples,
    groups,
    gate: v["fail-if-regressed"] ? { minDropPoints: minDrop } : undefined,
  });
  const paths = await writeCompareOutputs(outDir, report);
  console.log(terminalSummary(report));
  console.log(`report: ${Object.values(paths).join(", ")}`);
  return report.gate?.regressed ? EXIT_REGRESSED : 0;
}
