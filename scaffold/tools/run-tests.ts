import { z } from "zod";
import type { Tool } from "./tool.ts";

export const RunTestsArgs = z.strictObject({
  test_files: z
    .array(z.string())
    .describe('Test files (or test ids the runner accepts) to run, relative to the repository root, e.g. ["tests/test_utils.py"].'),
});
export type RunTestsArgs = z.infer<typeof RunTestsArgs>;

/**
 * `run_tests`: runs the repository's own test command on chosen files and answers with a
 * per-test pass/fail summary. What the command is and how its log is read are given by the
 * caller (for SWE-bench tasks: the repo spec's test command and the official log parser).
 */
export function createRunTestsTool(options: {
  /** The test command; the chosen files are appended, shell-quoted. */
  testCommand: string;
  /** Lines run before the test command (e.g. activating the environment). */
  setup?: string[];
  parse: (log: string) => Map<string, string>;
  timeoutMs: number;
  /** Characters of raw output shown when nothing could be parsed. */
  rawTailChars?: number;
}): Tool<RunTestsArgs> {
  const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;
  return {
    name: "run_tests",
    description: "runs the repository's test suite on the given test files and reports which tests passed and failed",
    schema: RunTestsArgs,
    async run({ test_files }, context) {
      if (test_files.length === 0) return { output: "Give at least one test file to run.", isError: true };
      const command = [
        ...(options.setup ?? []),
        `cd ${quote(context.repoRoot)}`,
        `${options.testCommand} ${test_files.map(quote).join(" ")}`,
      ].join(" && ");
      const result = await context.sandbox.exec(command, { timeoutMs: options.timeoutMs, maxOutputBytes: 4 * 1024 * 1024 });
      if (result.timedOut)
        return { output: `The tests did not finish within ${Math.round(options.timeoutMs / 1000)} seconds.`, isError: true };
      const statuses = options.parse(result.output);
      const byStatus = new Map<string, string[]>();
      for (const [test, status] of statuses) byStatus.set(status, [...(byStatus.get(status) ?? []), test]);
      if (statuses.size === 0) {
        const tail = result.output.slice(-(options.rawTailChars ?? 3000));
        return {
          output: `No test results could be read from the output (exit code ${result.exitCode}). Last lines:\n${tail}`,
          isError: true,
        };
      }
      const counts = [...byStatus].map(([status, tests]) => `${tests.length} ${status}`).join(", ");
      const lines = [`Ran ${statuses.size} tests: ${counts} (exit code ${result.exitCode}).`];
      for (const [status, tests] of byStatus) {
        if (status === "PASSED") continue;
        lines.push("", `${status}:`, ...tests.map((test) => `  ${test}`));
      }
      const failing = [...byStatus].filter(([status]) => status !== "PASSED" && status !== "SKIPPED" && status !== "XFAIL").length > 0;
      if (failing) lines.push("", "Output tail:", result.output.slice(-(options.rawTailChars ?? 3000)));
      return { output: lines.join("\n") };
    },
  };
}
