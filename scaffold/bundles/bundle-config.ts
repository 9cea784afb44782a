import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ArgumentFormatError, parseArgumentFormat, type ArgumentFormat } from "./argument-format.ts";

/**
 * A SWE-agent tool bundle: a folder with `config.yaml` (the tools' names, signatures, docs and
 * arguments; optionally a state command), `bin/` executables and an optional `install.sh`.
 * The schema follows SWE-agent's `BundleConfig`, `Command` and `Argument` (sweagent/tools/
 * bundle.py, commands.py): the same keys, defaults and checks. Like SWE-agent, keys it does
 * not know are ignored (its models do not forbid them).
 */

/** SWE-agent's ARGUMENT_NAME_PATTERN, matched at the start of the name as `re.match` does. */
const ARGUMENT_NAME = /^[a-zA-Z_][a-zA-Z0-9_-]*/;

export const BundleArgument = z.looseObject({
  name: z.string(),
  type: z.string(),
  /** JSON-schema of an array's items, e.g. `{type: integer}`. */
  items: z.record(z.string(), z.string()).nullish(),
  description: z.string(),
  required: z.boolean(),
  enum: z.array(z.string()).nullish(),
  /** Jinja template of `value`: how the argument is written into the command line. */
  argument_format: z.string().default("{{value}}"),
});
export type BundleArgument = z.infer<typeof BundleArgument>;

export const BundleTool = z.looseObject({
  /** Required, but may be null (SWE-agent: `docstring: str | None` without a default). */
  docstring: z.string().nullable(),
  signature: z.string().nullish(),
  /** The line that ends a multi-line command; its arguments are then sent through a heredoc, unquoted. */
  end_name: z.string().nullish(),
  arguments: z
    .array(BundleArgument)
    .nullish()
    .transform((value) => value ?? []),
});
export type BundleTool = z.infer<typeof BundleTool>;

export const BundleConfigFile = z.looseObject({
  tools: z.record(z.string(), BundleTool),
  /** Run after every step; it writes the state (e.g. `{"working_dir": …}`) to /root/state.json. */
  state_command: z.string().nullish(),
});
export type BundleConfigFile = z.infer<typeof BundleConfigFile>;

/** A tool of a bundle, ready to turn calls into command lines. */
export interface BundleCommand {
  name: string;
  docstring: string | null;
  signature: string | null;
  endName: string | null;
  arguments: BundleArgument[];
  /** The signature with every `<arg>` and `[<arg>]` turned into a `{arg}` field (SWE-agent's `invoke_format`). */
  invokeFormat: string;
  /** Each argument's `argument_format`, compiled. */
  formats: Record<string, ArgumentFormat>;
}

export interface Bundle {
  /** The folder's name: the bundle is installed at /root/tools/<name>. */
  name: string;
  /** Absolute path of the folder on this machine. */
  path: string;
  config: BundleConfigFile;
  /** The visible tools, in the file's order (hidden_tools left out). */
  commands: BundleCommand[];
  stateCommand: string | null;
  hasInstallScript: boolean;
}

/** A bundle that cannot be used; names the file and the field at fault. */
export class BundleConfigError extends Error {
  constructor(
    readonly file: string,
    readonly field: string | null,
    readonly expected: string,
  ) {
    super(`${file}${field ? `: ${field}` : ""}: ${expected}`);
    this.name = "BundleConfigError";
  }
}

export interface LoadBundleOptions {
  /** Tools of the bundle not shown to the model (SWE-agent's `hidden_tools`). */
  hiddenTools?: string[];
}

/** Reads and checks a bundle folder's config.yaml. */
export function loadBundle(folder: string, options: LoadBundleOptions = {}): Bundle {
  const path = resolve(folder);
  if (!existsSync(path) || !statSync(path).isDirectory()) throw new BundleConfigError(path, null, "the bundle folder does not exist");
  const file = join(path, "config.yaml");
  if (!existsSync(file)) throw new BundleConfigError(file, null, "the bundle has no config.yaml");
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, "utf8"));
  } catch (error) {
    throw new BundleConfigError(file, null, `not valid YAML (${(error as Error).message})`);
  }
  const config = parseBundleConfig(raw, file);
  const hidden = options.hiddenTools ?? [];
  const unknownHidden = hidden.filter((name) => !(name in config.tools));
  if (unknownHidden.length > 0) {
    throw new BundleConfigError(
      file,
      "hidden_tools",
      `names tools the bundle does not define: ${unknownHidden.join(", ")} (it defines ${Object.keys(config.tools).join(", ") || "none"})`,
    );
  }
  const commands = Object.entries(config.tools)
    .filter(([name]) => !hidden.includes(name))
    .map(([name, tool]) => bundleCommand(name, tool, file));
  return {
    name: basename(path),
    path,
    config,
    commands,
    stateCommand: config.state_command ?? null,
    hasInstallScript: existsSync(join(path, "install.sh")),
  };
}

/** Checks a parsed config.yaml against the schema; `file` is named in every error. */
export function parseBundleConfig(raw: unknown, file: string): BundleConfigFile {
  const parsed = BundleConfigFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new BundleConfigError(file, issue.path.join(".") || null, describeIssue(issue));
  }
  for (const [name, tool] of Object.entries(parsed.data.tools)) bundleCommand(name, tool, file);
  return parsed.data;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_type") {
    const got = "input" in issue ? describeValue(issue.input) : "";
    return `expected ${issue.expected}${got ? `, got ${got}` : ""}`;
  }
  return issue.message;
}

function describeValue(value: unknown): string {
  if (value === undefined) return "nothing (the key is missing)";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "a mapping" : `${typeof value} ${JSON.stringify(value)}`;
}

/** SWE-agent's `Command` checks, and its `invoke_format`. */
function bundleCommand(name: string, tool: BundleTool, file: string): BundleCommand {
  const field = (rest: string) => `tools.${name}${rest}`;
  let optionalSeen = false;
  const seen = new Set<string>();
  tool.arguments.forEach((argument, index) => {
    const at = field(`.arguments.${index}`);
    if (!ARGUMENT_NAME.test(argument.name))
      throw new BundleConfigError(
        file,
        `${at}.name`,
        `an argument name matching [a-zA-Z_][a-zA-Z0-9_-]*, got ${JSON.stringify(argument.name)}`,
      );
    if (seen.has(argument.name)) throw new BundleConfigError(file, `${at}.name`, `unique argument names; ${argument.name} appears twice`);
    seen.add(argument.name);
    if (optionalSeen && argument.required)
      throw new BundleConfigError(
        file,
        `${at}.required`,
        `required arguments before optional ones; ${argument.name} is required but follows an optional argument`,
      );
    if (!argument.required) optionalSeen = true;
  });
  const signature = tool.signature ?? null;
  let invokeFormat: string;
  if (signature) {
    for (const argument of tool.arguments) {
      const a = argument.name;
      if (!(signature.includes(`<${a}>`) || signature.includes(`{${a}}`) || signature.includes(`--${a}`))) {
        throw new BundleConfigError(
          file,
          field(".signature"),
          `every argument in the signature as <${a}>, [<${a}>], {${a}} or --${a}; ${a} is missing from ${JSON.stringify(signature)}`,
        );
      }
    }
    invokeFormat = signature.replace(/\[?<([a-zA-Z_][a-zA-Z0-9_-]*)>\]?/g, "{$1}");
  } else {
    invokeFormat = `${name} ${tool.arguments.map((argument) => `{${argument.name}} `).join("")}`;
  }
  let fields: string[];
  try {
    fields = formatFields(invokeFormat);
  } catch (error) {
    throw new BundleConfigError(file, field(".signature"), (error as Error).message);
  }
  const declared = tool.arguments.map((argument) => argument.name);
  const sameNames = new Set(fields).size === new Set(declared).size && fields.every((f) => declared.includes(f));
  if (!sameNames) {
    throw new BundleConfigError(
      file,
      field(".signature"),
      `the signature's fields (${[...new Set(fields)].join(", ") || "none"}) to be the argument names (${declared.join(", ") || "none"})`,
    );
  }
  const formats: Record<string, ArgumentFormat> = {};
  tool.arguments.forEach((argument, index) => {
    try {
      formats[argument.name] = parseArgumentFormat(argument.argument_format);
    } catch (error) {
      if (!(error instanceof ArgumentFormatError)) throw error;
      throw new BundleConfigError(file, field(`.arguments.${index}.argument_format`), error.message);
    }
  });
  return {
    name,
    docstring: tool.docstring,
    signature,
    endName: tool.end_name ?? null,
    arguments: tool.arguments,
    invokeFormat,
    formats,
  };
}

/** The `{name}` fields of a Python format string (`{{` and `}}` are literal braces). */
export function formatFields(format: string): string[] {
  const fields: string[] = [];
  for (let i = 0; i < format.length; i++) {
    const ch = format[i];
    if (ch === "{") {
      if (format[i + 1] === "{") {
        i++;
        continue;
      }
      const close = format.indexOf("}", i);
      if (close === -1) throw new Error(`a single { without its } in ${JSON.stringify(format)}`);
      const inner = format.slice(i + 1, close);
      if (!/^[a-zA-Z_][a-zA-Z0-9_-]*$/.test(inner)) throw new Error(`plain {name} fields, got {${inner}} in ${JSON.stringify(format)}`);
      fields.push(inner);
      i = close;
    } else if (ch === "}") {
      if (format[i + 1] !== "}") throw new Error(`a single } in ${JSON.stringify(format)}`);
      i++;
    }
  }
  return fields;
}

/** Python's `format.format(**values)` for plain `{name}` fields. */
export function fillFormat(format: string, values: Record<string, string>): string {
  let out = "";
  for (let i = 0; i < format.length; i++) {
    const ch = format[i]!;
    if (ch === "{" && format[i + 1] === "{") {
      out += "{";
      i++;
    } else if (ch === "}" && format[i + 1] === "}") {
      out += "}";
      i++;
    } else if (ch === "{") {
      const close = format.indexOf("}", i);
      out += values[format.slice(i + 1, close)] ?? "";
      i = close;
    } else {
      out += ch;
    }
  }
  return out;
}
