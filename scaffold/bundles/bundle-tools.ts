import { z } from "zod";
import { SandboxFileNotFound } from "../../src/foundation/sandbox/errors.ts";
import type { Tool, ToolContext, ToolResult } from "../tools/tool.ts";
import type { BundleArgument, BundleCommand } from "./bundle-config.ts";
import type { BundleSet } from "./bundle-set.ts";
import { BASH_COMMAND, commandLine, guardMultilineInput, pythonStrip } from "./command-line.ts";
import { blockedAction, DEFAULT_FILTER, type ActionFilter } from "./action-filter.ts";
import { readState, type ToolState } from "./tool-state.ts";

/**
 * A user's SWE-agent bundles as Bottega tools, so the agent loop is the same in both modes: each
 * call becomes SWE-agent's command line, runs in the episode's persistent shell, and its output
 * is the observation as SWE-agent would see it; then the bundles' state commands run and the
 * state comes back with the result.
 */

export const SUBMISSION_MARKER = "<<SWE_AGENT_SUBMISSION>>";
export const MODEL_PATCH = "/root/model.patch";

/** A bundle tool's result: the observation, the line that ran (as SWE-agent builds it, before the multi-line guard) and the state after it. */
export interface BundleToolResult extends ToolResult {
  commandLine: string;
  state: ToolState | null;
}

export interface BundleToolsOptions {
  /** Per-command limit (SWE-agent's `execution_timeout`). */
  timeoutMs: number;
  /** Prepend SWE-agent's bash tool (`enable_bash_tool`, default true). */
  enableBashTool?: boolean;
  /** The tool whose output carries the submission marker (`submit_command`). */
  submitCommand?: string;
  filter?: ActionFilter;
}

/** The zod schema a bundle tool declares: its arguments' types for the model, no checks of its own (SWE-agent makes none). */
function argumentsSchema(command: BundleCommand): z.ZodType<Record<string, unknown>> {
  const shape: Record<string, z.ZodType> = {};
  for (const argument of command.arguments) {
    const declared = z.unknown().meta(jsonSchemaOf(argument));
    shape[argument.name] = argument.required ? declared : declared.optional();
  }
  return z.object(shape).strict() as unknown as z.ZodType<Record<string, unknown>>;
}

function jsonSchemaOf(argument: BundleArgument): Record<string, unknown> {
  const schema: Record<string, unknown> = { type: argument.type, description: argument.description };
  if (argument.items) schema.items = argument.items;
  if (argument.enum) schema.enum = argument.enum;
  return schema;
}

/** SWE-ReX's clean-up of what the shell printed: ANSI escape sequences removed, CRLF made LF. */
export function stripControlChars(text: string): string {
  return text.replace(/\x1B[@-_][0-?]*[ -/]*[@-~]/g, "").replace(/\r\n/g, "\n");
}

export function createBundleTools(set: BundleSet, options: BundleToolsOptions): Tool[] {
  const commands = [...((options.enableBashTool ?? true) ? [BASH_COMMAND] : []), ...set.commands];
  const submitName = options.submitCommand ?? "submit";
  const submit = { name: submitName, endName: commands.find((c) => c.name === submitName)?.endName ?? null };
  const filter = options.filter ?? DEFAULT_FILTER;
  return commands.map((command) => ({
    name: command.name,
    description: command.docstring ?? "",
    schema: argumentsSchema(command),
    async run(args: Record<string, unknown>, context: ToolContext): Promise<BundleToolResult> {
      const action = commandLine(command, args);
      const blocked = blockedAction(action, filter);
      if (blocked !== null) return { output: blocked, isError: true, commandLine: action, state: null };
      const line = pythonStrip(guardMultilineInput(action, commands, submit));
      const result = await context.shell(line, { timeoutMs: options.timeoutMs });
      let output = stripControlChars(result.output);
      const state = await readState(context.sandbox, context.shell, set.stateCommands);
      if (result.timedOut) {
        const seconds = Math.round(options.timeoutMs / 1000);
        return {
          output: `The command '${line}' was cancelled because it took more than ${seconds} seconds. Try a command that finishes sooner; interactive commands, or commands that wait for input, never finish here.`,
          isError: true,
          timedOut: true,
          commandLine: action,
          state,
        };
      }
      if (output.includes(SUBMISSION_MARKER)) {
        // SWE-agent's observation for the submitting step is the patch itself.
        output = await readModelPatch(context);
        return { output, submitted: true, commandLine: action, state };
      }
      return { output, commandLine: action, state };
    },
  }));
}

async function readModelPatch(context: ToolContext): Promise<string> {
  try {
    return (await context.sandbox.readFile(MODEL_PATCH)).toString("utf8");
  } catch (error) {
    if (error instanceof SandboxFileNotFound) return "";
    throw error;
  }
}
