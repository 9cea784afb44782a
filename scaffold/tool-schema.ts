import { z } from "zod";
import type { ChatCompletionFunctionTool } from "openai/resources/chat/completions";
import type { Tool } from "./tools/tool.ts";

/**
 * How tools are declared to the model: the OpenAI `tools` array for function calling and the
 * command docs for text mode, both from each tool's zod schema, shaped as SWE-agent renders its
 * commands (`Command.get_function_calling_tool`, `generate_command_docs`) since daVinci-Dev was
 * trained on SWE-agent's interface.
 */

/** What declaring and parsing need from a tool. */
export type ToolSpec = Pick<Tool, "name" | "description" | "schema">;

/** One argument as the model is told about it (SWE-agent's keys, in its order). */
export interface ArgumentSchema {
  type: "string" | "integer" | "number" | "boolean" | "array" | "object";
  description?: string;
  items?: ArgumentSchema;
  enum?: ReadonlyArray<string | number | boolean>;
}

/** A tool's arguments in schema order, which arguments are required, and how text mode writes each. */
export interface ToolParameters {
  properties: Record<string, ArgumentSchema>;
  required: string[];
  /** Text mode: arguments written by position, in this order (the rest are `--name value` flags). */
  positional: string[];
}

/** A tool's zod schema cannot be declared to the model. */
export class ToolSchemaError extends Error {
  constructor(
    readonly tool: string,
    /** The argument at fault, or null for the schema as a whole. */
    readonly argument: string | null,
    readonly expected: string,
  ) {
    super(`tool ${tool}${argument === null ? "" : `, argument ${argument}`}: expected ${expected}`);
    this.name = "ToolSchemaError";
  }
}

/** The part of zod's JSON Schema output this module reads; each argument is checked in toArgumentSchema. */
const JsonSchemaNode: z.ZodType<JsonSchemaNode> = z.lazy(() =>
  z.looseObject({
    type: z.union([z.string(), z.array(z.string())]).optional(),
    description: z.string().optional(),
    items: JsonSchemaNode.optional(),
    enum: z.array(z.unknown()).optional(),
    const: z.unknown().optional(),
    anyOf: z.array(JsonSchemaNode).optional(),
    properties: z.record(z.string(), JsonSchemaNode).optional(),
    required: z.array(z.string()).optional(),
  }),
);
interface JsonSchemaNode {
  type?: string | string[];
  description?: string;
  items?: JsonSchemaNode;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchemaNode[];
  properties?: Record<string, JsonSchemaNode>;
  required?: string[];
}

const ARGUMENT_TYPES = new Set<string>(["string", "integer", "number", "boolean", "array", "object"]);
const UNION = "a single JSON type (unions cannot be declared)";

function toArgumentSchema(node: JsonSchemaNode, tool: string, argument: string): ArgumentSchema {
  // An optional value that may also be null is declared as its non-null type.
  if (node.anyOf !== undefined) {
    const nonNull = node.anyOf.filter((branch) => branch.type !== "null");
    if (nonNull.length !== 1) throw new ToolSchemaError(tool, argument, UNION);
    return toArgumentSchema({ ...nonNull[0], description: node.description ?? nonNull[0]!.description }, tool, argument);
  }
  const types = (Array.isArray(node.type) ? node.type : node.type === undefined ? [] : [node.type]).filter((type) => type !== "null");
  if (types.length > 1) throw new ToolSchemaError(tool, argument, UNION);
  const type = types[0];
  if (type === undefined || !ARGUMENT_TYPES.has(type)) {
    throw new ToolSchemaError(tool, argument, `a JSON type among ${[...ARGUMENT_TYPES].join(", ")}, got ${type ?? "none"}`);
  }
  const schema: ArgumentSchema = { type: type as ArgumentSchema["type"] };
  if (node.description !== undefined) schema.description = node.description;
  if (type === "array") {
    if (node.items === undefined) throw new ToolSchemaError(tool, argument, "an array with a declared item type");
    const { description: _itemDescription, ...items } = toArgumentSchema(node.items, tool, `${argument}[]`);
    schema.items = items;
  }
  const values = node.enum ?? (node.const !== undefined ? [node.const] : undefined);
  if (values !== undefined) {
    const allowed = values.filter((value) => value !== null);
    if (!allowed.every((value) => ["string", "number", "boolean"].includes(typeof value))) {
      throw new ToolSchemaError(tool, argument, "allowed values that are strings, numbers or booleans");
    }
    schema.enum = allowed as Array<string | number | boolean>;
  }
  return schema;
}

const parametersCache = new WeakMap<ToolSpec["schema"], ToolParameters>();

/** The arguments of a tool, read from its zod schema (as the model sends them: zod's input side). */
export function toolParameters(tool: ToolSpec): ToolParameters {
  const cached = parametersCache.get(tool.schema);
  if (cached !== undefined) return cached;
  const parameters = deepFreeze(readParameters(tool));
  parametersCache.set(tool.schema, parameters);
  return parameters;
}

/** Cached parameters are shared by every caller, so nobody may change them. */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function readParameters(tool: ToolSpec): ToolParameters {
  const parsed = JsonSchemaNode.safeParse(z.toJSONSchema(tool.schema, { io: "input", unrepresentable: "any" }));
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join(".") ?? "";
    throw new ToolSchemaError(tool.name, null, `a JSON schema this module can read (${where}: ${parsed.error.issues[0]?.message})`);
  }
  if (parsed.data.type !== "object") throw new ToolSchemaError(tool.name, null, "an object schema");
  const properties: Record<string, ArgumentSchema> = {};
  for (const [name, node] of Object.entries(parsed.data.properties ?? {})) {
    properties[name] = toArgumentSchema(node, tool.name, name);
  }
  const names = Object.keys(properties);
  const requiredSet = new Set(parsed.data.required ?? []);
  const required = names.filter((name) => requiredSet.has(name));
  const optional = names.filter((name) => !requiredSet.has(name));
  // SWE-agent's bundles write required arguments by position and optional ones as `--name value`,
  // except a tool's only optional argument (`find_file <file_name> [<dir>]`): alone, it cannot be
  // mistaken for another, while with several only the name says which is which.
  const positional = optional.length === 1 ? [...required, optional[0]!] : required;
  return { properties, required, positional };
}

/** The OpenAI `tools` array. Built with a fixed key order so the bytes (and vLLM's prefix cache) never change. */
export function functionTools(tools: readonly ToolSpec[]): ChatCompletionFunctionTool[] {
  return tools.map((tool) => {
    // A copy: the parameters are cached and shared, the returned array is the caller's.
    const { properties, required } = structuredClone(toolParameters(tool));
    // SWE-agent declares a tool without arguments as a bare object type.
    const parameters = Object.keys(properties).length === 0 ? { type: "object" } : { type: "object", properties, required };
    return { type: "function", function: { name: tool.name, description: tool.description, parameters } };
  });
}

function typeLabel(schema: ArgumentSchema): string {
  return schema.type === "array" && schema.items !== undefined ? `array of ${schema.items.type}` : schema.type;
}

/** The text-mode call syntax of a tool, e.g. `str_replace_editor <command> <path> [--file_text <file_text>]`. */
export function textSignature(tool: ToolSpec): string {
  // The bash "tool" is the whole block, so its signature is just the command.
  if (tool.name === BASH_TOOL) return "<command>";
  const { properties, required, positional } = toolParameters(tool);
  const parts = [tool.name];
  for (const name of Object.keys(properties)) {
    const isRequired = required.includes(name);
    if (positional.includes(name)) parts.push(isRequired ? `<${name}>` : `[<${name}>]`);
    else parts.push(isRequired ? `--${name} <${name}>` : `[--${name} <${name}>]`);
  }
  return parts.join(" ");
}

/** The tool whose call in text mode is a plain shell command. */
export const BASH_TOOL = "bash";

/**
 * Text mode's `{{command_docs}}`: per tool its docstring, signature and arguments (SWE-agent's
 * layout), then how to write an action.
 */
export function textToolDocs(tools: readonly ToolSpec[]): string {
  let docs = "";
  let hasFlags = false;
  let hasArrays = false;
  for (const tool of tools) {
    const { properties, required, positional } = toolParameters(tool);
    docs += `${tool.name}:\n  docstring: ${tool.description}\n  signature: ${textSignature(tool)}\n`;
    const names = Object.keys(properties);
    if (names.length > 0) {
      docs += "  arguments:\n";
      for (const name of names) {
        const schema = properties[name]!;
        const requirement = required.includes(name) ? "required" : "optional";
        docs += `    - ${name} (${typeLabel(schema)}) [${requirement}]: ${schema.description ?? ""}`.trimEnd() + "\n";
        if (tool.name !== BASH_TOOL) {
          hasFlags ||= !positional.includes(name);
          hasArrays ||= schema.type === "array";
        }
      }
    }
    docs += "\n";
  }
  const hasBash = tools.some((tool) => tool.name === BASH_TOOL);
  const rules = [
    "Each response must hold a discussion followed by exactly one command in a ``` block. Only the last ``` block of a response is run.",
    "A block that starts with the name of one of the commands above calls that command. Its arguments are shell words: quote a value that holds spaces, quotes or several lines with '...' or \"...\".",
  ];
  if (hasFlags) rules.push("Arguments shown as [--name <name>] are given by name: write --name followed by the value.");
  if (hasArrays) rules.push("An array argument is written as its items separated by spaces.");
  if (hasBash) rules.push("Any other block is run as a bash command.");
  return `${docs}${rules.map((rule) => `- ${rule}`).join("\n")}\n\nYour response must look like this:\n${TEXT_ACTION_EXAMPLE}\n`;
}

/** The shape of a text-mode response, as SWE-agent's thought_action parser shows it (its typo "your planning" fixed). */
export const TEXT_ACTION_EXAMPLE =
  "DISCUSSION\nDiscuss here with yourself about what you're planning and what you're going to do in this step.\n\n```\ncommand(s) that you're going to run\n```";
