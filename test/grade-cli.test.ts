import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT, runCli } from "./support/cli.ts";

const SHARED = resolve(PROJECT_ROOT, "../shared");
const LOGS = join(SHARED, "data/official-logs");
const PARQUET = join(SHARED, "data/swe-bench-verified.parquet");
const present = existsSync(LOGS) && existsSync(PARQUET);
if (!present) console.warn(`SKIPPED test/grade-cli.test.ts: ${SHARED} (official logs, Verified parquet) is absent`);

// One instance per parser family: django, sympy, pytest_v2 (astropy), pytest (xarray),
// pytest_options (requests/pylint), matplotlib, seaborn.
const INSTANCES = present
  ? [
      "django__django-11133",
      "sympy__sympy-12419",
      "astropy__astropy-14365",
      "pydata__xarray-2905",
      "psf__requests-1142",
      "matplotlib__matplotlib-22719",
      "mwaskom__seaborn-3187",
    ].filter((id) => existsSync(join(LOGS, id, "report.json")))
  : [];

describe.skipIf(!present)("bottega grade (CLI) on official logs", () => {
  it("has instances of several parser families to check", () => {
    expect(INSTANCES.length).toBe(7);
  });

  it.each(INSTANCES)("prints the official report.json of %s byte for byte", async (id) => {
    const result = await runCli(["grade", "--dataset", PARQUET, "--instance", id, "--log", join(LOGS, id, "test_output.txt")]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(readFileSync(join(LOGS, id, "report.json"), "utf8"));
  });
});
