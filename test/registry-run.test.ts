import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readRunJson } from "../harness/run/run-json.ts";
import { runCli } from "./support/cli.ts";
import { fixtureSuite } from "./support/fixture-suite.ts";
import { FIXTURE_COPY_TEMPLATE, REGISTRY, registryMissing, TEST_REPO } from "./support/loopback-registry.ts";

/** `bottega eval` whose images all come from the loopback registry (.ci/start-registry). */
const missing = await registryMissing();
if (missing) console.warn(`SKIPPED test/registry-run.test.ts: ${missing}`);

const suite = fixtureSuite("registry-run");
const readJson = (...path: string[]) => JSON.parse(readFileSync(join(suite.results, ...path), "utf8"));
const events = (runId: string) =>
  readFileSync(join(suite.results, runId, "events.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const localTestImages = () =>
  execFileSync("docker", ["images", "--format", "{{.Repository}}:{{.Tag}}"])
    .toString()
    .split("\n")
    .filter((name) => name.startsWith(`${REGISTRY}/${TEST_REPO}/`));

describe.skipIf(missing !== null)("a run that pulls every image from a registry", () => {
  it("pulls each image, grades every instance, stays within --max-image-disk and removes what it pulled", {
    timeout: 900_000,
  }, async () => {
    for (const image of localTestImages()) execFileSync("docker", ["rmi", image]); // only our own test copies
    const max = 20 * 1024 * 1024; // room for two of the copies' 8 MiB layers, not three
    const result = await runCli([
      "eval",
      "--predictions",
      "gold",
      "--run-id",
      "from-registry",
      "--results",
      suite.results,
      "--image-template",
      FIXTURE_COPY_TEMPLATE,
      "--workers",
      "3",
      "--pull-workers",
      "2",
      "--max-image-disk",
      "20m",
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(readJson("from-registry", "report.json").resolved_ids).toEqual(suite.ids());
    const pulls = events("from-registry").filter((e) => e.type === "phase_started" && e.phase === "pull");
    expect(pulls.map((e) => e.instance_id).sort()).toEqual(suite.ids());
    expect(events("from-registry").some((e) => e.type === "pull_progress" && (e.total as number) > 1_000_000)).toBe(true);
    const disk = readRunJson(join(suite.results, "from-registry", "run.json")).image_disk!;
    expect(disk.max_bytes).toBe(max);
    expect(disk.peak_bytes).toBeGreaterThan(8 * 1024 * 1024 - 1);
    expect(disk.peak_bytes).toBeLessThanOrEqual(max);
    expect(localTestImages()).toEqual([]);
  });

  it("an image the registry does not have is an image error of the pull naming the image, not retried", {
    timeout: 300_000,
  }, async () => {
    const id = suite.ids()[0]!;
    const result = await runCli([
      "eval",
      "--predictions",
      "gold",
      "--run-id",
      "missing-image",
      "--results",
      suite.results,
      "--instances",
      id,
      "--image-template",
      `${REGISTRY}/${TEST_REPO}/missing-{docker_id}:latest`,
    ]);
    expect(result.stderr).not.toMatch(/at .*\.ts:\d+/); // a recorded error, not a crash
    const errors = events("missing-image").filter((e) => e.type === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ phase: "pull", category: "image", kind: "image_not_found", retrying: false });
    expect(errors[0]!.message).toContain(`${REGISTRY}/${TEST_REPO}/missing-`);
  });
});
