import { ActionRejected, preview } from "./action.ts";
import { toolParameters, type ArgumentSchema, type ToolSpec } from "../tool-schema.ts";

/**
 * Checks a call's arguments with the tool's own zod schema (strict objects, so unknown names are
 * issues too) and reports its issues as SWE-agent orders them: missing arguments first, then
 * unexpected ones, then the first wrong value. A null optional argument counts as absent
 * (SWE-agent #1159: models send null for arguments they do not use).
 */
export function validateArguments(tool: ToolSpec, given: Record<string, unknown>): Record<string, unknown> {
  const { properties } = toolParameters(tool);
  const values: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(given)) {
    if (value === null) continue;
    values[name] = Object.hasOwn(properties, name) ? coerce(value, properties[name]!) : value;
  }
  const result = tool.schema.safeParse(values);
  if (result.success) return result.data;

  const issues = result.error.issues;
  const missing = issues
    .filter((issue) => issue.path.length === 1 && values[String(issue.path[0])] === undefined)
    .map((issue) => String(issue.path[0]));
  if (missing.length > 0)
    throw new ActionRejected("missing_arg", `Required argument(s) missing for \`${tool.name}\`: ${missing.join(", ")}`, tool);
  const unexpected = issues.flatMap((issue) => (issue.code === "unrecognized_keys" ? issue.keys : []));
  if (unexpected.length > 0)
    throw new ActionRejected("unexpected_arg", `Unexpected argument(s) for \`${tool.name}\`: ${unexpected.join(", ")}`, tool);
  const issue = issues[0]!;
  if (issue.path.length === 0) throw new ActionRejected("invalid_arg", `Invalid arguments for \`${tool.name}\`: ${issue.message}`, tool);
  const argument = issue.path.map((part, index) => (index === 0 ? String(part) : `[${String(part)}]`)).join("");
  const got = valueAt(values, issue.path);
  const gotText = got === undefined ? "" : ` (got ${preview(JSON.stringify(got) ?? String(got), 80)})`;
  throw new ActionRejected(
    "invalid_arg",
    `Invalid value for argument \`${argument}\` of \`${tool.name}\`: ${issue.message}${gotText}`,
    tool,
  );
}

/**
 * Text arrives as strings (always in text mode, sometimes from tool calls): "5" for an integer,
 * "[1, 10]" or "1 10" for an array of integers, "true" for a boolean. This reads the text as the
 * declared type; whether the value is right stays the schema's call.
 */
function coerce(value: unknown, schema: ArgumentSchema): unknown {
  switch (schema.type) {
    case "integer":
      return typeof value === "string" && /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : value;
    case "number":
      return typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)) ? Number(value) : value;
    case "boolean":
      return typeof value === "string" && /^(true|false)$/i.test(value.trim()) ? value.trim().toLowerCase() === "true" : value;
    case "array": {
      const items = schema.items;
      let list: unknown = value;
      if (typeof value === "string" || (Array.isArray(value) && value.every((item) => typeof item === "string"))) {
        const text = typeof value === "string" ? value : value.join(" ");
        if (text.trim().startsWith("[")) {
          try {
            list = JSON.parse(text);
          } catch {
            return value;
          }
        } else if (items?.type === "integer" || items?.type === "number") {
          list = text.split(/[\s,]+/).filter((part) => part !== "");
        }
      }
      return Array.isArray(list) && items !== undefined ? list.map((item) => coerce(item, items)) : list;
    }
    default:
      return value;
  }
}

function valueAt(values: Record<string, unknown>, path: readonly PropertyKey[]): unknown {
  let current: unknown = values;
  for (const key of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
