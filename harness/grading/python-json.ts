/**
 * Python's `json.dumps(obj)` / `json.dumps(obj, indent=N)` with its defaults (`ensure_ascii=True`,
 * `allow_nan=True`, no key sorting), so that files the official harness writes (report.json, the
 * run report) can be reproduced byte for byte.
 *
 * Values: null, booleans, numbers, bigints, strings, arrays, plain objects and Maps (a Map keeps
 * its insertion order even for integer-like keys, which a plain object would reorder). A JS number
 * that is a safe integer is written as a Python int, any other as Python's float repr.
 */

export type PyJsonValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | readonly PyJsonValue[]
  | ReadonlyMap<string, PyJsonValue>
  | { readonly [key: string]: PyJsonValue };

/** The value holds something Python's json module could not have produced from a report. */
export class PythonJsonError extends Error {
  constructor(
    /** Where in the value, as a JSONPath-like string (`$.a[0]`). */
    readonly path: string,
    readonly reason: string,
  ) {
    super(`cannot serialize the value at ${path} as Python json would: ${reason}`);
    this.name = "PythonJsonError";
  }
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\b": "\\b",
  "\f": "\\f",
};

/**
 * `ensure_ascii` string encoding: everything outside printable ASCII (space..tilde) becomes
 * `\uXXXX` with lowercase hex. Walking UTF-16 code units gives Python's surrogate pairs for
 * astral characters for free.
 */
export function pyJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const code = s.charCodeAt(i);
    const simple = SIMPLE_ESCAPES[ch];
    if (simple !== undefined) out += simple;
    else if (code < 0x20 || code > 0x7e) out += "\\u" + code.toString(16).padStart(4, "0");
    else out += ch;
  }
  return out + '"';
}

/** Python's `repr(float)`: shortest round-trip digits, scientific below 1e-4 and from 1e16 on. */
export function pyFloatRepr(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "Infinity";
  if (n === -Infinity) return "-Infinity";
  const [mantissa, expPart] = Math.abs(n).toExponential().split("e") as [string, string];
  const digits = mantissa.replace(".", "");
  const exp = Number(expPart);
  const sign = n < 0 || Object.is(n, -0) ? "-" : "";
  if (exp < -4 || exp >= 16) {
    const frac = digits.length > 1 ? "." + digits.slice(1) : "";
    const expSign = exp < 0 ? "-" : "+";
    return `${sign}${digits[0]}${frac}e${expSign}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
  const fracPart = digits.slice(exp + 1) || "0";
  return `${sign}${intPart}.${fracPart}`;
}

function pyNumber(n: number): string {
  // Beyond 2^53 a JS number cannot hold an arbitrary Python int, so it stands for a float;
  // pass a bigint for a large int.
  return Number.isSafeInteger(n) ? String(n) : pyFloatRepr(n);
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * `json.dumps(value)` when `indent` is undefined (separators `", "` and `": "`), else
 * `json.dumps(value, indent=indent)` (separators `","` and `": "`, one item per line, `[]`/`{}`
 * for empty containers). No trailing newline.
 */
export function pythonJsonDumps(value: PyJsonValue | object, options: { indent?: number } = {}): string {
  const { indent } = options;
  const active = new Set<object>();

  const encode = (v: unknown, path: string, level: number): string => {
    if (v === null) return "null";
    if (v === true) return "true";
    if (v === false) return "false";
    if (typeof v === "number") return pyNumber(v);
    if (typeof v === "bigint") return v.toString();
    if (typeof v === "string") return pyJsonString(v);
    if (typeof v !== "object") throw new PythonJsonError(path, `unsupported ${typeof v}`);

    if (active.has(v)) throw new PythonJsonError(path, "circular reference");
    let entries: Array<[string, unknown]>;
    let open: string;
    let close: string;
    if (Array.isArray(v)) {
      entries = v.map((item, i) => [`${path}[${i}]`, item]);
      [open, close] = ["[", "]"];
    } else if (v instanceof Map) {
      entries = [...v.entries()].map(([key, item]) => {
        if (typeof key !== "string") throw new PythonJsonError(path, "a Map key is not a string");
        return [key, item];
      });
      [open, close] = ["{", "}"];
    } else if (isPlainObject(v)) {
      entries = Object.entries(v);
      [open, close] = ["{", "}"];
    } else {
      throw new PythonJsonError(path, `unsupported object ${v.constructor?.name ?? "without prototype"}`);
    }
    if (entries.length === 0) return open + close;

    active.add(v);
    const isList = open === "[";
    const items = entries.map(([key, item]) => {
      const itemPath = isList ? key : `${path}.${key}`;
      const encoded = encode(item, itemPath, level + 1);
      return isList ? encoded : `${pyJsonString(key)}: ${encoded}`;
    });
    active.delete(v);

    if (indent === undefined) return open + items.join(", ") + close;
    const inner = "\n" + " ".repeat(indent * (level + 1));
    const outer = "\n" + " ".repeat(indent * level);
    return open + inner + items.join("," + inner) + outer + close;
  };

  return encode(value, "$", 0);
}
