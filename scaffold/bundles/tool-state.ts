import { SandboxFileNotFound } from "../../src/foundation/sandbox/errors.ts";
import type { Sandbox } from "../../src/foundation/sandbox/sandbox.ts";

/** Runs a line in the episode's persistent shell. */
export type ShellRunner = (command: string, options: { timeoutMs: number }) => Promise<unknown>;

/** What the bundles' state commands left in /root/state.json, e.g. `{"working_dir": "/testbed"}`. */
export type ToolState = Record<string, unknown>;

export const STATE_FILE = "/root/state.json";

/** The state file does not hold a JSON object (SWE-agent stops the episode with an error). */
export class ToolStateError extends Error {
  constructor(detail: string) {
    super(`${STATE_FILE}: ${detail}`);
    this.name = "ToolStateError";
  }
}

/**
 * SWE-agent's `ToolHandler.get_state`: every state command run in the agent's shell (its exit
 * code only warned about), then the state file read. A missing or blank file is an empty state.
 */
export async function readState(sandbox: Sandbox, shell: ShellRunner, stateCommands: readonly string[]): Promise<ToolState> {
  for (const command of stateCommands) await shell(command, { timeoutMs: 25_000 });
  let text: string;
  try {
    text = (await sandbox.readFile(STATE_FILE)).toString("utf8");
  } catch (error) {
    if (error instanceof SandboxFileNotFound) return {};
    throw error;
  }
  if (text.trim() === "") return {};
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch {
    throw new ToolStateError(`the state commands wrote text that is not JSON: ${JSON.stringify(text.slice(0, 200))}`);
  }
  if (typeof state !== "object" || state === null || Array.isArray(state))
    throw new ToolStateError(`state commands must write a JSON object, got ${JSON.stringify(state)}`);
  return state as ToolState;
}

/** State values as template values: strings as they are, anything else as JSON. */
export function stateTemplateValues(state: ToolState): Record<string, string> {
  return Object.fromEntries(Object.entries(state).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]));
}
