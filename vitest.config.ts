import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    // The CLI tests run the compiled CLI: build dist/ first when a source changed.
    globalSetup: ["test/support/build-dist.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Integration tests share one Docker engine and 2 cores: run files one at a time.
    fileParallelism: false,
  },
});
