import { pythonStr } from "./python-value.ts";

/**
 * A bundle argument's `argument_format`: a Jinja template of one variable, `value`, such as
 * `--view_range {{value|join(' ')}}`. Bundles use only `{{value}}` and the `join` filter, so
 * that is what this reads; anything else is refused when the bundle is loaded rather than
 * rendered differently from SWE-agent.
 */
export type ArgumentFormat = (value: unknown) => string;

export class ArgumentFormatError extends Error {}

type Part = { literal: string } | { filters: Array<{ name: "join"; separator: string }> };

const EXPRESSION = /^\s*value\s*((?:\|\s*\w+\s*(?:\(\s*(?:'[^']*'|"[^"]*")?\s*\))?\s*)*)$/;
const FILTER = /\|\s*(\w+)\s*(?:\(\s*('[^']*'|"[^"]*")?\s*\))?/g;

export function parseArgumentFormat(template: string): ArgumentFormat {
  // Jinja drops one trailing newline of a template's source.
  const source = template.endsWith("\n") ? template.slice(0, -1) : template;
  if (/\{%|\{#/.test(source)) throw new ArgumentFormatError(`only {{value}} expressions are supported, got ${JSON.stringify(template)}`);
  const parts: Part[] = [];
  let rest = source;
  while (rest.length > 0) {
    const open = rest.indexOf("{{");
    if (open === -1) {
      parts.push({ literal: rest });
      break;
    }
    if (open > 0) parts.push({ literal: rest.slice(0, open) });
    const close = rest.indexOf("}}", open + 2);
    if (close === -1) throw new ArgumentFormatError(`unclosed {{ in ${JSON.stringify(template)}`);
    const expression = rest.slice(open + 2, close);
    const match = EXPRESSION.exec(expression);
    if (!match)
      throw new ArgumentFormatError(`expected {{value}} or {{value|join('…')}}, got {{${expression}}} in ${JSON.stringify(template)}`);
    const filters: Array<{ name: "join"; separator: string }> = [];
    for (const filter of match[1]!.matchAll(FILTER)) {
      if (filter[1] !== "join")
        throw new ArgumentFormatError(`the filter ${filter[1]} is not supported (only join), in ${JSON.stringify(template)}`);
      filters.push({ name: "join", separator: filter[2] === undefined ? "" : filter[2].slice(1, -1) });
    }
    parts.push({ filters });
    rest = rest.slice(close + 2);
  }
  return (value) =>
    parts
      .map((part) => {
        if ("literal" in part) return part.literal;
        let current: unknown = value;
        for (const filter of part.filters) current = join(current, filter.separator);
        return pythonStr(current);
      })
      .join("");
}

/** Jinja's `join`: the items of a list (the characters of a string, the keys of a mapping) as text. */
function join(value: unknown, separator: string): string {
  if (typeof value === "string") return [...value].join(separator);
  if (Array.isArray(value)) return value.map(pythonStr).join(separator);
  if (value !== null && typeof value === "object") return Object.keys(value).join(separator);
  return pythonStr(value);
}
