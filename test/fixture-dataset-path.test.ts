import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./support/cli.ts";
import { fixtureSuite } from "./support/fixture-suite.ts";

/** The bundled fixtures named by path carry their images in the dataset's `image` column, as v5 datasets do. */
const suite = fixtureSuite("fixture-path");

describe("the bundled fixtures named by path", () => {
  it("run in their own images: --dataset tasks/fixtures grades gold as resolved", async () => {
    const id = suite.ids()[0]!;
    const results = mkdtempSync(join(tmpdir(), "bottega-fixture-path-"));
    const result = await runCli([
      "eval",
      "--predictions",
      "gold",
      "--dataset",
      "tasks/fixtures",
      "--instances",
      id,
      "--run-id",
      "path",
      "--results",
      results,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(results, "path", "report.json"), "utf8")).resolved_ids).toEqual([id]);
  });

  it("refuses an image template with an unknown placeholder before the run starts", async () => {
    const result = await runCli([
      "eval",
      "--predictions",
      "gold",
      "--image-template",
      "local/{docker-id}:latest",
      "--run-id",
      "bad-template",
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--image-template: unknown placeholder {docker-id}");
    expect(result.stderr).toContain("{docker_id}");
  });
});
