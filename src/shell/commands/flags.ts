import { parseArgs, type ParseArgsConfig } from "node:util";
import { z } from "zod";
import { CliUsageError } from "./cli-error.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parses a subcommand's flags with node:util, turning unknown or malformed flags into a usage
 * error that shows the command's help.
 */
export function parseFlags<O extends Options>(argv: string[], options: O, help: string) {
  try {
    const parsed = parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
    if ((parsed.values as { help?: boolean }).help) {
      console.log(help);
      return undefined;
    }
    return parsed;
  } catch (error) {
    throw new CliUsageError(`${(error as Error).message}\n\n${help}`);
  }
}

/** Validates parsed flags against a zod schema; an error names the flag and what it expects. */
export function validateFlags<T extends z.ZodType>(schema: T, value: unknown, flagOf: (key: string) => string): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const key = String(issue.path[0] ?? "");
  throw new CliUsageError(`${flagOf(key)}: ${issue.message}`);
}

/** "--flag" value as a number, or a usage error naming the flag. */
export function numberFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number)) throw new CliUsageError(`--${name}: expected a number, got "${value}"`);
  return number;
}

/** "a,b,c" → ["a","b","c"]; also accepts repeated spaces, as the official space-separated list. */
export function listFlag(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(/[,\s]+/).filter(Boolean);
  return items.length > 0 ? items : undefined;
}
