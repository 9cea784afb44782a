/**
 * The part of Jinja2 that SWE-agent's templates use, with Jinja's defaults (no autoescape, an
 * undefined name renders as "", one trailing newline of the template dropped):
 * `{{ expr }}`, `{% if %}/{% elif %}/{% else %}/{% endif %}`, `{% for x in expr %}/{% endfor %}`,
 * `{#- comments #}`, `-` whitespace control. Expressions: names, `a.b`, `a["k"]`, Python slices
 * `a[:n]` / `a[m:n]`, string and number literals, filters `join`, `length`, `trim`, `default`,
 * `lower`, `upper`, comparisons, `in`, `is defined` / `is none`, `not`, `and`, `or`.
 * Anything else is an error naming the template, so a config never renders half-understood.
 */

export class TemplateError extends Error {
  constructor(
    readonly template: string,
    detail: string,
  ) {
    super(`template ${template}: ${detail}`);
    this.name = "TemplateError";
  }
}

type Node =
  | { kind: "text"; text: string }
  | { kind: "out"; expr: string }
  | { kind: "if"; branches: Array<{ cond: string | null; body: Node[] }> }
  | { kind: "for"; name: string; expr: string; body: Node[] };

const TAG = /\{\{(-?)([\s\S]*?)(-?)\}\}|\{%(-?)([\s\S]*?)(-?)%\}|\{#(-?)[\s\S]*?(-?)#\}/g;

interface Token {
  kind: "text" | "out" | "stmt";
  value: string;
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let last = 0;
  let trimNext = false;
  for (const match of source.matchAll(TAG)) {
    let text = source.slice(last, match.index);
    if (trimNext) text = text.replace(/^\s+/, "");
    const trimBefore = (match[1] ?? match[4] ?? match[7]) === "-";
    if (trimBefore) text = text.replace(/\s+$/, "");
    if (text) tokens.push({ kind: "text", value: text });
    if (match[2] !== undefined) tokens.push({ kind: "out", value: match[2].trim() });
    else if (match[5] !== undefined) tokens.push({ kind: "stmt", value: match[5].trim() });
    trimNext = (match[3] ?? match[6] ?? match[8]) === "-";
    last = match.index + match[0].length;
  }
  let tail = source.slice(last);
  if (trimNext) tail = tail.replace(/^\s+/, "");
  if (tail) tokens.push({ kind: "text", value: tail });
  return tokens;
}

function parse(tokens: Token[], name: string): Node[] {
  let i = 0;
  const block = (ends: string[]): { body: Node[]; end: string } => {
    const body: Node[] = [];
    while (i < tokens.length) {
      const token = tokens[i++]!;
      if (token.kind === "text") body.push({ kind: "text", text: token.value });
      else if (token.kind === "out") body.push({ kind: "out", expr: token.value });
      else {
        const keyword = token.value.split(/\s+/)[0]!;
        if (ends.includes(keyword)) return { body, end: token.value };
        if (keyword === "if") {
          const branches: Array<{ cond: string | null; body: Node[] }> = [];
          let cond: string | null = token.value.slice(2).trim();
          for (;;) {
            const inner = block(["elif", "else", "endif"]);
            branches.push({ cond, body: inner.body });
            if (inner.end.startsWith("endif")) break;
            cond = inner.end.startsWith("elif") ? inner.end.slice(4).trim() : null;
          }
          body.push({ kind: "if", branches });
        } else if (keyword === "for") {
          const m = /^for\s+(\w+)\s+in\s+([\s\S]+)$/.exec(token.value);
          if (!m) throw new TemplateError(name, `cannot read {% ${token.value} %}`);
          const inner = block(["endfor"]);
          body.push({ kind: "for", name: m[1]!, expr: m[2]!, body: inner.body });
        } else {
          throw new TemplateError(name, `unsupported statement {% ${token.value} %}`);
        }
      }
    }
    if (ends.length > 0) throw new TemplateError(name, `missing {% ${ends.at(-1)} %}`);
    return { body, end: "" };
  };
  return block([]).body;
}

// ----------------------------------------------------------------------------------------------
// expressions: a small recursive-descent parser over the expression text

type Value = unknown;
const UNDEFINED = Symbol("undefined");

class Expr {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly scope: Record<string, Value>,
    private readonly name: string,
  ) {}

  static evaluate(text: string, scope: Record<string, Value>, name: string): Value {
    const expr = new Expr(text, scope, name);
    const value = expr.or();
    expr.space();
    if (expr.pos < text.length) throw new TemplateError(name, `cannot read "${text}" at "${text.slice(expr.pos)}"`);
    return value;
  }

  private space(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  private eat(token: string | RegExp): string | null {
    this.space();
    if (typeof token === "string") {
      if (!this.text.startsWith(token, this.pos)) return null;
      // a keyword must not run into a name
      if (/^\w+$/.test(token) && /\w/.test(this.text[this.pos + token.length] ?? "")) return null;
      this.pos += token.length;
      return token;
    }
    const m = token.exec(this.text.slice(this.pos));
    if (m?.index !== 0) return null;
    this.pos += m[0].length;
    return m[0];
  }

  private fail(what: string): never {
    throw new TemplateError(this.name, `cannot read "${this.text}": expected ${what} at "${this.text.slice(this.pos)}"`);
  }

  private or(): Value {
    let left = this.and();
    while (this.eat("or")) {
      const right = this.and();
      left = truthy(left) ? left : right;
    }
    return left;
  }

  private and(): Value {
    let left = this.not();
    while (this.eat("and")) {
      const right = this.not();
      left = truthy(left) ? right : left;
    }
    return left;
  }

  private not(): Value {
    if (this.eat("not")) return !truthy(this.not());
    return this.comparison();
  }

  private comparison(): Value {
    const left = this.filtered();
    if (this.eat("is")) {
      const negate = this.eat("not") !== null;
      const test = this.eat(/^\w+/) ?? this.fail("a test name");
      let result: boolean;
      if (test === "defined") result = left !== UNDEFINED;
      else if (test === "none") result = left === null;
      else this.fail(`a supported test (defined, none), not ${test}`);
      return negate ? !result : result;
    }
    const op = this.eat(/^(==|!=|<=|>=|<|>|not\s+in\b|in\b)/);
    if (op === null) return left;
    const right = this.filtered();
    const [a, b] = [plain(left), plain(right)];
    switch (op.replace(/\s+/, " ")) {
      case "==":
        return a === b;
      case "!=":
        return a !== b;
      case "<":
        return (a as number) < (b as number);
      case ">":
        return (a as number) > (b as number);
      case "<=":
        return (a as number) <= (b as number);
      case ">=":
        return (a as number) >= (b as number);
      case "in":
        return contains(b, a);
      default:
        return !contains(b, a);
    }
  }

  private filtered(): Value {
    let value = this.postfix();
    while (this.eat("|")) {
      const filter = this.eat(/^\w+/) ?? this.fail("a filter name");
      const args: Value[] = [];
      if (this.eat("(")) {
        if (!this.eat(")")) {
          do args.push(plain(this.or()));
          while (this.eat(","));
          if (!this.eat(")")) this.fail(")");
        }
      }
      value = applyFilter(filter, value, args, this.name);
    }
    return value;
  }

  private postfix(): Value {
    let value = this.primary();
    for (;;) {
      if (this.eat(".")) {
        const key = this.eat(/^\w+/) ?? this.fail("an attribute name");
        value = lookup(value, key);
      } else if (this.eat("[")) {
        let start: Value = null;
        if (!this.text.slice(this.pos).trimStart().startsWith(":")) start = plain(this.or());
        if (this.eat(":")) {
          const end = this.text.slice(this.pos).trimStart().startsWith("]") ? null : plain(this.or());
          if (!this.eat("]")) this.fail("]");
          value = slice(plain(value), start as number | null, end as number | null, this.name);
        } else {
          if (!this.eat("]")) this.fail("]");
          value = lookup(value, start);
        }
      } else {
        return value;
      }
    }
  }

  private primary(): Value {
    if (this.eat("(")) {
      const value = this.or();
      if (!this.eat(")")) this.fail(")");
      return value;
    }
    const str = this.eat(/^("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')/);
    if (str !== null) return str.slice(1, -1).replace(/\\(.)/g, (_, c: string) => ({ n: "\n", t: "\t" })[c] ?? c);
    const num = this.eat(/^-?\d+(\.\d+)?/);
    if (num !== null) return Number(num);
    if (this.eat("true") || this.eat("True")) return true;
    if (this.eat("false") || this.eat("False")) return false;
    if (this.eat("none") || this.eat("None")) return null;
    const name = this.eat(/^[A-Za-z_]\w*/) ?? this.fail("a value");
    return Object.hasOwn(this.scope, name) ? this.scope[name] : UNDEFINED;
  }
}

function plain(value: Value): Value {
  return value === UNDEFINED ? undefined : value;
}

function truthy(value: Value): boolean {
  const v = plain(value);
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object" && v !== null) return Object.keys(v).length > 0;
  return Boolean(v);
}

function contains(container: Value, item: Value): boolean {
  if (typeof container === "string") return container.includes(String(item));
  if (Array.isArray(container)) return container.includes(item);
  if (typeof container === "object" && container !== null) return Object.hasOwn(container, String(item));
  return false;
}

function lookup(value: Value, key: Value): Value {
  const v = plain(value);
  if (v === null || v === undefined) return UNDEFINED;
  if (Array.isArray(v) && typeof key === "number") return v[key < 0 ? v.length + key : key] ?? UNDEFINED;
  const record = v as Record<string, Value>;
  return Object.hasOwn(record, String(key)) ? record[String(key)] : UNDEFINED;
}

/** Python slicing by code point, as `len()` and `[:n]` count in SWE-agent. */
function slice(value: Value, start: number | null, end: number | null, name: string): Value {
  if (typeof value === "string") return [...value].slice(start ?? undefined, end ?? undefined).join("");
  if (Array.isArray(value)) return value.slice(start ?? undefined, end ?? undefined);
  throw new TemplateError(name, "only strings and lists can be sliced");
}

function applyFilter(filter: string, value: Value, args: Value[], name: string): Value {
  const v = plain(value);
  switch (filter) {
    case "join":
      return Array.isArray(v) ? v.map(String).join(args[0] === undefined ? "" : String(args[0])) : String(v ?? "");
    case "length":
      return typeof v === "string" ? [...v].length : Array.isArray(v) ? v.length : Object.keys(v ?? {}).length;
    case "trim":
      return String(v ?? "").trim();
    case "lower":
      return String(v ?? "").toLowerCase();
    case "upper":
      return String(v ?? "").toUpperCase();
    case "default":
      return value === UNDEFINED ? args[0] : v;
    default:
      throw new TemplateError(name, `unsupported filter "${filter}"`);
  }
}

function show(value: Value): string {
  const v = plain(value);
  if (v === undefined || v === null) return v === null ? "None" : "";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (Array.isArray(v)) return `[${v.map((item) => (typeof item === "string" ? `'${item}'` : show(item))).join(", ")}]`;
  return String(v);
}

function run(nodes: Node[], scope: Record<string, Value>, name: string): string {
  let out = "";
  for (const node of nodes) {
    if (node.kind === "text") out += node.text;
    else if (node.kind === "out") out += show(Expr.evaluate(node.expr, scope, name));
    else if (node.kind === "if") {
      const branch = node.branches.find((b) => b.cond === null || truthy(Expr.evaluate(b.cond, scope, name)));
      if (branch) out += run(branch.body, scope, name);
    } else {
      const items = plain(Expr.evaluate(node.expr, scope, name));
      for (const item of Array.isArray(items) ? items : []) out += run(node.body, { ...scope, [node.name]: item }, name);
    }
  }
  return out;
}

const compiled = new Map<string, Node[]>();

/** Renders `source` with `values`; `name` (e.g. "agent.templates.system_template") is named in errors. */
export function renderJinja(source: string, values: Record<string, unknown>, name = "template"): string {
  let nodes = compiled.get(source);
  if (nodes === undefined) {
    nodes = parse(tokenize(source.endsWith("\n") ? source.slice(0, -1) : source), name);
    compiled.set(source, nodes);
  }
  return run(nodes, values, name);
}

/** Parses a template without rendering it, so a bad config fails before the run starts. */
export function checkJinja(source: string, name: string): void {
  parse(tokenize(source), name);
}
