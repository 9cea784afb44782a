import { parseArgs, type ParseArgsConfig } from "node:util";
import { parseByteSize } from "../../foundation/sandbox/byte-size.ts";
import { CliUsageError } from "./cli-error.ts";

/**
 * How a flag's text becomes a value: `strings` is a string flag that may be given several times;
 * `list` is one "a,b c" value split on commas and spaces (as the official space-separated list).
 */
export type FlagKind = "string" | "strings" | "boolean" | "number" | "integer" | "list" | "bytes" | "json";

export interface FlagSpec {
  kind: FlagKind;
  /** Heading the flag is listed under in --help. */
  group: string;
  help: string;
  /** Shown after the flag in --help, e.g. "N" or "generated|dataset". */
  placeholder?: string;
  /**
   * The value used when the flag is absent, printed in --help. For flags with a `field` it must be
   * the config schema's own default (a test checks it); the schema, not this, fills the config.
   */
  default?: string | number | boolean;
  /** Printed as the default when it is not a plain value (e.g. "a timestamp"). */
  defaultText?: string;
  /** Dotted path of the config field this flag sets, e.g. "agent.stepLimit". */
  field?: string;
  /** Turns the typed value into the field's value (e.g. seconds → milliseconds). */
  toField?: (value: never) => unknown;
  short?: string;
  required?: boolean;
}

export type FlagTable = Record<string, FlagSpec>;

/** Declares a command's table and keeps its literal kinds, so parsed values are typed per flag. */
export function flagTable<const T extends FlagTable>(table: T): T {
  return table;
}

type ValueOf<K extends FlagKind> = K extends "boolean"
  ? boolean
  : K extends "number" | "integer" | "bytes"
    ? number
    : K extends "list" | "strings"
      ? string[]
      : K extends "json"
        ? Record<string, unknown>
        : string;

/** A flag the command reads itself (no config field) and that has a default is always set. */
type Filled<S> = S extends { default: string | number | boolean } ? (S extends { field: string } ? false : true) : false;

export type FlagValues<T extends FlagTable> = {
  -readonly [N in keyof T as Filled<T[N]> extends true ? N : never]-?: ValueOf<T[N]["kind"]>;
} & {
  -readonly [N in keyof T as Filled<T[N]> extends true ? never : N]?: ValueOf<T[N]["kind"]>;
};

export interface CommandSpec<T extends FlagTable> {
  /** The usage line(s) and what the command does; the flag list is appended from the table. */
  usage: string;
  description?: string;
  flags: T;
  /** Text after the flag list (e.g. exit codes). */
  epilog?: string;
  /** Names positional arguments the command takes; without it a positional is a usage error. */
  positionals?: string;
}

const FLAG_COLUMN = 28;

function defaultShown(spec: FlagSpec): string | undefined {
  if (spec.defaultText !== undefined) return `default: ${spec.defaultText}`;
  if (spec.default === undefined) return undefined;
  if (spec.kind === "boolean") return `default ${spec.default ? "on" : "off"}`;
  return `default ${spec.default}`;
}

const HELP_WIDTH = 100;

/** The --help text: usage, description, then each group's flags with their defaults from the table. */
export function helpText<T extends FlagTable>(command: CommandSpec<T>): string {
  const groups = new Map<string, string[]>();
  for (const [name, spec] of Object.entries(command.flags)) {
    const head = `  --${name}${spec.placeholder ? ` ${spec.placeholder}` : ""}`;
    const text = spec.help.split("\n");
    const shown = defaultShown(spec);
    if (shown !== undefined) {
      const last = `${text.at(-1)} (${shown})`;
      if (FLAG_COLUMN + last.length <= HELP_WIDTH) text[text.length - 1] = last;
      else text.push(`(${shown})`);
    }
    const [first = "", ...rest] = text;
    const lines = head.length < FLAG_COLUMN ? [head.padEnd(FLAG_COLUMN) + first] : [head, " ".repeat(FLAG_COLUMN) + first];
    for (const line of rest) lines.push(" ".repeat(FLAG_COLUMN) + line);
    groups.set(spec.group, [...(groups.get(spec.group) ?? []), ...lines]);
  }
  const sections = [...groups].map(([group, lines]) => `${group}:\n${lines.join("\n")}`);
  return [command.usage, command.description, ...sections, "  -h, --help                show this help", command.epilog]
    .filter((part) => part !== undefined)
    .join("\n\n");
}

/** The flag as written on the command line, for error messages. */
function flagName(name: string): string {
  return `--${name}`;
}

function typed(name: string, kind: FlagKind, raw: string | boolean | string[]): unknown {
  if (kind === "boolean" || kind === "strings") return raw;
  const text = raw as string;
  switch (kind) {
    case "string":
      return text;
    case "number":
    case "integer": {
      const number = text.trim() === "" ? Number.NaN : Number(text);
      if (!Number.isFinite(number)) throw new CliUsageError(`${flagName(name)}: expected a number, got "${text}"`);
      if (kind === "integer" && !Number.isInteger(number))
        throw new CliUsageError(`${flagName(name)}: expected a whole number, got "${text}"`);
      return number;
    }
    case "list": {
      // An empty list selects nothing to filter by, as an absent flag does.
      const items = text.split(/[,\s]+/).filter(Boolean);
      return items.length > 0 ? items : undefined;
    }
    case "bytes":
      try {
        return parseByteSize(text);
      } catch (error) {
        throw new CliUsageError(`${flagName(name)}: ${(error as Error).message}`);
      }
    case "json": {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed;
      throw new CliUsageError(`${flagName(name)}: expected a JSON object, got ${text}`);
    }
  }
}

/**
 * Parses argv against the command's table: node:util does the splitting, the table the typing.
 * Returns undefined after printing --help. Unknown flags, missing or malformed values and
 * unexpected positionals are usage errors naming the flag.
 */
export function parseCommandFlags<T extends FlagTable>(
  argv: string[],
  command: CommandSpec<T>,
): { values: FlagValues<T>; positionals: string[] } | undefined {
  const options: NonNullable<ParseArgsConfig["options"]> = { help: { type: "boolean", short: "h" } };
  for (const [name, spec] of Object.entries(command.flags)) {
    options[name] = {
      type: spec.kind === "boolean" ? "boolean" : "string",
      ...(spec.kind === "strings" ? { multiple: true } : {}),
      ...(spec.short ? { short: spec.short } : {}),
    };
  }
  const seeHelp = `${command.usage
    .split("\n")[0]!
    .replace(/^usage: /, "")
    .split(" ")
    .slice(0, 2)
    .join(" ")} --help`;
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliUsageError(`${(error as Error).message}\n'${seeHelp}' lists the options.`);
  }
  if (parsed.values.help) {
    console.log(helpText(command));
    return undefined;
  }
  if (!command.positionals && parsed.positionals.length > 0) {
    throw new CliUsageError(`unexpected argument "${parsed.positionals[0]}"; '${seeHelp}' lists the options.`);
  }
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(command.flags)) {
    const raw = parsed.values[name];
    if (raw !== undefined) values[name] = typed(name, spec.kind, raw as string | boolean | string[]);
    // Flags with a config field leave their default to the schema (fixture runs differ from it).
    else if (spec.default !== undefined && spec.field === undefined) values[name] = spec.default;
    else if (spec.required) throw new CliUsageError(`${flagName(name)} is required; '${seeHelp}' lists the options.`);
  }
  return { values: values as FlagValues<T>, positionals: parsed.positionals };
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    node = (node[key] = next && typeof next === "object" ? next : {}) as Record<string, unknown>;
  }
  const last = keys.at(-1)!;
  const existing = node[last];
  // A whole-object flag (--extra-body) and a flag setting one key inside it (--top-k) combine.
  node[last] =
    existing && typeof existing === "object" && value && typeof value === "object" ? { ...(value as object), ...existing } : value;
}

/** The config input the given flags describe: each flag's typed value at its field's path. */
export function fieldsFromFlags<T extends FlagTable>(table: T, values: FlagValues<T>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(table)) {
    const value = (values as Record<string, unknown>)[name];
    if (value === undefined || spec.field === undefined) continue;
    setPath(input, spec.field, spec.toField ? spec.toField(value as never) : value);
  }
  return input;
}

/** The flag that sets a config field (for errors from the schema), or the field's own name. */
export function flagForField(table: FlagTable, path: readonly PropertyKey[]): string {
  const dotted = path.map(String).join(".");
  for (let end = path.length; end > 0; end--) {
    const prefix = path.slice(0, end).map(String).join(".");
    const match = Object.entries(table).find(([, spec]) => spec.field === prefix);
    if (match) return flagName(match[0]);
  }
  return dotted || "flags";
}
