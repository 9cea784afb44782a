import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "./support/cli.ts";

/**
 * The package as a user gets it: `npm pack`, installed into an empty folder from the npm cache
 * that `npm ci` filled (no network), then run from there.
 */
const dir = mkdtempSync(join(tmpdir(), "bottega-package-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface PackedFile {
  path: string;
}
let files: string[] = [];
let tarball = "";

/**
 * A lock for the consumer folder: the project's own resolutions (so `npm ci --offline` needs no
 * registry metadata), with the packed tarball as the only direct dependency.
 */
function consumerLock(tarballName: string): object {
  const project = JSON.parse(readFileSync(join(PROJECT_ROOT, "package-lock.json"), "utf8"));
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8"));
  const packages: Record<string, Record<string, unknown>> = {
    "": { name: "consumer", dependencies: { bottega: `file:${tarballName}` } },
    "node_modules/bottega": {
      version: pkg.version,
      resolved: `file:${tarballName}`,
      dependencies: pkg.dependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  for (const [path, entry] of Object.entries<Record<string, unknown>>(project.packages)) {
    if (path === "" || entry.dev) continue;
    const name = path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
    // The project's lock omits registry URLs; the cache is keyed by them.
    packages[path] = { resolved: `https://registry.npmjs.org/${name}/-/${name.split("/").pop()}-${entry.version}.tgz`, ...entry };
  }
  return { name: "consumer", lockfileVersion: 3, requires: true, packages };
}

beforeAll(() => {
  // dist/ is built by the test run's global setup; packing must not build it again.
  const out = execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], {
    cwd: PROJECT_ROOT,
    encoding: "utf8",
  });
  const [packed] = JSON.parse(out) as Array<{ filename: string; files: PackedFile[] }>;
  files = packed!.files.map((f) => f.path);
  tarball = packed!.filename;
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "consumer", private: true, dependencies: { bottega: `file:${tarball}` } }),
  );
  writeFileSync(join(dir, "package-lock.json"), JSON.stringify(consumerLock(tarball), null, 2));
  execFileSync("npm", ["ci", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: dir, stdio: "pipe" });
}, 600_000);

const bottega = (...args: string[]) => execFileSync(join(dir, "node_modules", ".bin", "bottega"), args, { cwd: dir, encoding: "utf8" });

describe("the packed package", () => {
  it("holds what runs and nothing else: no tests, CI, TypeScript sources or benchmarks", () => {
    expect(files).toContain("bin/bottega.js");
    expect(files).toContain("dist/src/shell/commands/main.js");
    expect(files.some((f) => f.startsWith("tasks/fixtures/episodes/"))).toBe(true);
    expect(files.filter((f) => /^(test|\.ci|src|scaffold|harness)\//.test(f))).toEqual([]);
    expect(files.filter((f) => /\.tsx?$/.test(f) || /bench/.test(f) || /tsconfig/.test(f))).toEqual([]);
  });

  it("runs `bottega --help` and `bottega eval --help` installed in an empty folder", () => {
    expect(bottega("--help")).toMatch(/^usage: bottega <command>/);
    const help = bottega("eval", "--help");
    expect(help).toMatch(/^usage: bottega eval/);
    expect(help).toContain("--predictions FILE|gold");
    const installed = JSON.parse(readFileSync(join(dir, "node_modules", "bottega", "package.json"), "utf8"));
    expect(installed.dependencies.tsx).toBeUndefined();
  });

  it("finds its bundled fixtures from its own root (grading a log against a fixture row)", () => {
    const log = join(dir, "empty.log");
    writeFileSync(log, "");
    const report = JSON.parse(bottega("grade", "--instance", "bottega-fixtures__calc-1", "--log", log));
    expect(report["bottega-fixtures__calc-1"]).toMatchObject({ patch_exists: true, resolved: false });
  });
});
