import type { z } from "zod";
import type { Sandbox } from "../../src/foundation/sandbox/sandbox.ts";

/** What a tool may touch while it runs: the episode's sandbox and its persistent shell. */
export interface ToolContext {
  sandbox: Sandbox;
  /** Runs a command in the episode's persistent shell (cwd and exports persist). */
  shell: (command: string, options?: { timeoutMs?: number }) => Promise<ShellOutcome>;
  /** The repository root inside the sandbox, e.g. /testbed. */
  repoRoot: string;
}

export interface ShellOutcome {
  output: string;
  exitCode: number | null;
  timedOut: boolean;
}

export interface ToolResult {
  /** The observation sent back to the model. */
  output: string;
  /** True when the call failed (bad arguments, missing file, …); the episode goes on. */
  isError?: boolean;
  /** Set by `submit`: the episode ends after this call. */
  submitted?: boolean;
  /** The command hit its timeout (counted towards the consecutive-timeout limit). */
  timedOut?: boolean;
  /** A user's SWE-agent bundle ran: the shell line the call became (SWE-agent's `action`). */
  commandLine?: string;
  /** A user's SWE-agent bundles ran: what their state commands wrote after the call; its keys fill the templates. */
  state?: Record<string, unknown> | null;
}

/**
 * A tool is declared once: its zod schema gives both the JSON schema for function calling and
 * the argument docs for text mode.
 */
export interface Tool<Args extends Record<string, unknown> = Record<string, unknown>> {
  name: string;
  description: string;
  schema: z.ZodType<Args>;
  run(args: Args, context: ToolContext): Promise<ToolResult>;
}
