import { parseArgumentFormat } from "../bundles/argument-format.ts";
import type { BundleCommand } from "../bundles/bundle-config.ts";
import { BASH_COMMAND, commandLine } from "../bundles/command-line.ts";

/**
 * The shell line SWE-agent would have recorded as a step's `action` for a call to one of
 * Bottega's built-in tools, which run in-process and have no command line of their own: the
 * editor and submit are written as SWE-agent's edit_anthropic and submit bundles write them,
 * bash as its command; any other tool with SWE-agent's default layout, `name {arg} {arg} …`
 * (arguments in the order the call gave them).
 */

function command(name: string, signature: string | null, args: Array<[name: string, format: string]>, invokeFormat: string): BundleCommand {
  return {
    name,
    docstring: null,
    signature,
    endName: null,
    arguments: args.map(([argument, format]) => ({
      name: argument,
      type: "string",
      description: "",
      required: false,
      argument_format: format,
    })),
    invokeFormat,
    formats: Object.fromEntries(args.map(([argument, format]) => [argument, parseArgumentFormat(format)])),
  };
}

const EDITOR = command(
  "str_replace_editor",
  "str_replace_editor <command> <path> [<file_text>] [<view_range>] [<old_str>] [<new_str>] [<insert_line>]",
  [
    ["command", "{{value}}"],
    ["path", "{{value}}"],
    ["file_text", "--file_text {{value}}"],
    ["old_str", "--old_str {{value}}"],
    ["new_str", "--new_str {{value}}"],
    ["insert_line", "--insert_line {{value}}"],
    ["view_range", "--view_range {{value|join(' ')}}"],
  ],
  "str_replace_editor {command} {path} {file_text} {view_range} {old_str} {new_str} {insert_line}",
);

const KNOWN: Record<string, BundleCommand> = { bash: BASH_COMMAND, str_replace_editor: EDITOR };

export function builtinActionLine(tool: string, args: Record<string, unknown>): string {
  const known = KNOWN[tool];
  if (known) return commandLine(known, args);
  const names = Object.keys(args);
  const generic = command(
    tool,
    null,
    names.map((name) => [name, "{{value}}"]),
    `${tool} ${names.map((name) => `{${name}} `).join("")}`,
  );
  return commandLine(generic, args);
}
