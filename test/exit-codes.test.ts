import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./support/cli.ts";

/**
 * The documented exit codes, through the CLI: 1 when instances end in errors, 2 for usage.
 * (0 for a good run is asserted by the end-to-end tests, 130 for Ctrl-C by run-robustness.)
 */
const results = mkdtempSync(join(tmpdir(), "bottega-exit-codes-"));
afterAll(() => rmSync(results, { recursive: true, force: true }));

describe("exit codes", () => {
  it("1 when every instance ends in an error (images that cannot be had)", async () => {
    // A registry on a closed loopback port: every pull fails at once, with no network used.
    const result = await runCli([
      "eval",
      "--predictions",
      "gold",
      "--dataset",
      "tasks/fixtures",
      "--instances",
      "bottega-fixtures__calc-1,bottega-fixtures__textfmt-2",
      "--image-template",
      "127.0.0.1:9/missing-{instance_id_lower}:none",
      "--results",
      results,
      "--run-id",
      "all-errors",
    ]);
    expect(result.code, result.stderr + result.stdout).toBe(1);
    const report = JSON.parse(readFileSync(join(results, "all-errors", "report.json"), "utf8"));
    expect(report.error_instances).toBe(2);
    expect(report.resolved_instances).toBe(0);
  });

  it("2 for usage: no command, an unknown command, a malformed flag", async () => {
    expect((await runCli([])).code).toBe(2);
    expect((await runCli(["evaluate"])).code).toBe(2);
    const malformed = await runCli(["status", "--run-id"]);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain("--run-id");
  });

  it("documents them in --help", async () => {
    const help = await runCli(["eval", "--help"]);
    expect(help.stdout).toMatch(/exit codes:\n {2}0 {4}the run finished and every instance was graded/);
    expect(help.stdout).toMatch(/\n {2}130 {2}interrupted/);
  });
});
