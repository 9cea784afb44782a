import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const ENTRY = join(ROOT, "dist", "src", "shell", "commands", "main.js");
const SOURCES = ["src", "scaffold", "harness"];

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (/\.tsx?$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * vitest globalSetup: the CLI tests run the compiled CLI (bin/bottega.js → dist/), as users do,
 * so dist/ is rebuilt once per test run when a source is newer than it.
 */
export default function buildDist(): void {
  const stale = !existsSync(ENTRY) || Math.max(...SOURCES.map((dir) => newestSource(join(ROOT, dir)))) > statSync(ENTRY).mtimeMs;
  if (!stale) return;
  const started = Date.now();
  execFileSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json", "--noCheck"], {
    cwd: ROOT,
    stdio: "inherit",
  });
  console.log(`built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
