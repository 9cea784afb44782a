import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readCompareInputs } from "../../harness/compare/compare-inputs.ts";
import { integrityFindings } from "../../harness/compare/integrity-flags.ts";
import { PROJECT_ROOT } from "../support/cli.ts";
import { writeRunJsonFile } from "../support/run-json-file.ts";

/** Bad inputs get errors naming the file, the field and what was expected; odd but valid inputs are told apart. */
const work = mkdtempSync(path.join(tmpdir(), "bottega-compare-inputs-"));
const LOGS = path.resolve(PROJECT_ROOT, "../shared/data/official-logs");
const read = (args: string[]) =>
  readCompareInputs({ arguments: args, resultsDir: path.join(work, "results"), allowDifferentInstances: false });

describe("compare inputs", () => {
  it("names a missing run id and where it looked", async () => {
    await expect(read(["no-such-run"])).rejects.toThrow(
      /no-such-run: neither a file, a folder, nor a run id in .*results\/ \(no .*no-such-run\/run\.json\)/,
    );
  });

  it("names the file and field of a malformed run report or results.json", async () => {
    const report = path.join(work, "model.run1.json");
    writeFileSync(report, JSON.stringify({ resolved_ids: "django__django-1" }));
    await expect(read([report])).rejects.toThrow(`${report}: field "resolved_ids": expected a list of instance ids`);
    const results = path.join(work, "results.json");
    writeFileSync(results, JSON.stringify({ resolved: [], no_logs: [3] }));
    await expect(read([results])).rejects.toThrow(`${results}: field "no_logs": expected a list of instance ids`);
    const other = path.join(work, "other.json");
    writeFileSync(other, JSON.stringify({ hello: 1 }));
    await expect(read([other])).rejects.toThrow(
      /expected an official run report \(a "resolved_ids" field\) or an experiments results\.json/,
    );
  });

  it("a Bottega run folder without report.json says to grade it", async () => {
    const root = path.join(work, "results", "ungraded");
    mkdirSync(root, { recursive: true });
    writeRunJsonFile(root, { runId: "ungraded", dataset: "tasks/fixtures" });
    await expect(read(["ungraded"])).rejects.toThrow(/report\.json: missing: the run has not been graded/);
    writeFileSync(path.join(root, "run.json"), JSON.stringify({ config: { dataset: 3 } }));
    await expect(read(["ungraded"])).rejects.toThrow(/run\.json: field "config\.run_id"/);
  });

  it.skipIf(!existsSync(LOGS))("two inputs with the same name get distinct labels", async () => {
    const inputs = await read([LOGS, LOGS]);
    expect(inputs.runs.map((r) => r.label)).toEqual(["official-logs", "official-logs#2"]);
  });
});

describe("integrity flags on patches", () => {
  const diff = (file: string, body = "@@ -1 +1 @@\n-a\n+b\n") => `diff --git a/${file} b/${file}\n--- a/${file}\n+++ b/${file}\n${body}`;
  it("tells test files, conftest.py, test configuration and test-patch files apart", () => {
    expect(integrityFindings({ patch: diff("src/app.py"), testPatch: null, testLog: null }).flags).toEqual([]);
    expect(integrityFindings({ patch: diff("pkg/tests/test_app.py"), testPatch: null, testLog: null }).flags).toEqual([
      "touches_test_files",
    ]);
    expect(integrityFindings({ patch: diff("app_test.py"), testPatch: null, testLog: null }).flags).toEqual(["touches_test_files"]);
    expect(integrityFindings({ patch: diff("conftest.py"), testPatch: null, testLog: null }).flags).toEqual(["touches_conftest"]);
    expect(integrityFindings({ patch: diff("tox.ini"), testPatch: null, testLog: null }).flags).toEqual(["touches_test_config"]);
    // setup.cfg only counts when the hunk is in a pytest section.
    expect(
      integrityFindings({ patch: diff("setup.cfg", "@@ -1 +1 @@\n [metadata]\n-name = a\n+name = b\n"), testPatch: null, testLog: null })
        .flags,
    ).toEqual([]);
    expect(
      integrityFindings({
        patch: diff("setup.cfg", "@@ -1,2 +1,2 @@\n [tool:pytest]\n-addopts = -x\n+addopts = -p no:x\n"),
        testPatch: null,
        testLog: null,
      }).flags,
    ).toEqual(["touches_test_config"]);
    const testPatch = diff("src/helpers.py");
    expect(integrityFindings({ patch: diff("src/helpers.py"), testPatch, testLog: null })).toEqual({
      flags: ["touches_test_patch_files"],
      files: ["src/helpers.py"],
    });
  });

  it("flags a test log with the start or end marker twice, not once", () => {
    const once = "+ : '>>>>> Start Test Output'\nok\n+ : '>>>>> End Test Output'\n";
    expect(integrityFindings({ patch: null, testPatch: null, testLog: once }).flags).toEqual([]);
    expect(integrityFindings({ patch: null, testPatch: null, testLog: once + ">>>>> End Test Output\n" }).flags).toEqual([
      "repeated_test_markers",
    ]);
  });
});
