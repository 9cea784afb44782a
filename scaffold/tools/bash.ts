import { z } from "zod";
import type { Tool } from "./tool.ts";

export const BashArgs = z.strictObject({
  command: z.string().describe("The bash command to execute."),
});
export type BashArgs = z.infer<typeof BashArgs>;

/**
 * Commands that would wait for a terminal forever (editors, pagers, bare interpreters), refused
 * before they run, as SWE-agent's command filter does.
 */
const INTERACTIVE_PREFIXES = ["vim", "vi", "emacs", "nano", "nohup", "gdb", "less", "more", "tail -f", "python -m venv", "top", "htop"];
const INTERACTIVE_STANDALONE = ["python", "python3", "ipython", "bash", "sh", "su", "/bin/bash", "/bin/sh", "sudo"];

function refusal(command: string): string | undefined {
  const trimmed = command.trim();
  const first = trimmed.split(/\s+/)[0] ?? "";
  if (INTERACTIVE_STANDALONE.includes(trimmed)) return trimmed;
  if (INTERACTIVE_PREFIXES.some((prefix) => trimmed === prefix || trimmed.startsWith(`${prefix} `))) return first;
  return undefined;
}

export function createBashTool(options: { timeoutMs: number }): Tool<BashArgs> {
  return {
    name: "bash",
    description: "runs the given command directly in bash",
    schema: BashArgs,
    async run({ command }, context) {
      const blocked = refusal(command);
      if (blocked) {
        return {
          output: `Operation '${blocked}' is not supported by this environment: it is interactive and would never return. Run a non-interactive command instead.`,
          isError: true,
        };
      }
      const result = await context.shell(command, { timeoutMs: options.timeoutMs });
      if (result.timedOut) {
        const seconds = Math.round(options.timeoutMs / 1000);
        return {
          output:
            `${result.output}${result.output && !result.output.endsWith("\n") ? "\n" : ""}` +
            `The command timed out after ${seconds} seconds and was interrupted. ` +
            "If it was waiting for input or runs for long, run it in the background or with a smaller workload.",
          isError: true,
          timedOut: true,
        };
      }
      return { output: result.output };
    },
  };
}
