#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm run build`, which `npm ci` runs through `prepare`).
// In development, `npm run bottega -- …` runs the TypeScript sources through tsx instead.
try {
  await import("../dist/src/shell/commands/main.js");
} catch (error) {
  if (error?.code === "ERR_MODULE_NOT_FOUND" && String(error.message).includes("dist/src/shell/commands/main.js")) {
    console.error("bottega: dist/ is missing: run `npm run build` (npm ci and npm install run it)");
    process.exit(1);
  }
  throw error;
}
