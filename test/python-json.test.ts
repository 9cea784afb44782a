import { describe, expect, it } from "vitest";
import { PythonJsonError, pyFloatRepr, pyJsonString, pythonJsonDumps } from "../harness/grading/python-json.ts";

// Expected strings below are what CPython 3.11's json.dumps prints for the same values.
describe("python-json strings (ensure_ascii)", () => {
  it("escapes non-ASCII as lowercase \\uXXXX", () => {
    expect(pyJsonString("café")).toBe('"caf\\u00e9"');
    expect(pyJsonString("Ω≈")).toBe('"\\u03a9\\u2248"');
    expect(pyJsonString("\ufeff\u2028")).toBe('"\\ufeff\\u2028"');
  });

  it("writes astral characters as surrogate pairs", () => {
    expect(pyJsonString("👋")).toBe('"\\ud83d\\udc4b"');
    expect(pyJsonString("\u{10ffff}")).toBe('"\\udbff\\udfff"');
  });

  it("uses short escapes for \\n \\r \\t \\b \\f and \\u00XX for other control characters and DEL", () => {
    expect(pyJsonString("\n\r\t\b\f")).toBe('"\\n\\r\\t\\b\\f"');
    expect(pyJsonString("\x00\x01\x1b\x1f\x7f")).toBe('"\\u0000\\u0001\\u001b\\u001f\\u007f"');
  });

  it("escapes quotes and backslashes but not / or other printable ASCII", () => {
    expect(pyJsonString('say "hi" \\ </a> ~')).toBe('"say \\"hi\\" \\\\ </a> ~"');
  });
});

describe("python-json layout", () => {
  it("indents with one item per line, ',' at line ends and ': ' after keys", () => {
    expect(pythonJsonDumps({ a: [1, 2], b: { c: null } }, { indent: 4 })).toBe(
      '{\n    "a": [\n        1,\n        2\n    ],\n    "b": {\n        "c": null\n    }\n}',
    );
  });

  it("writes empty containers as [] and {} at any depth", () => {
    expect(pythonJsonDumps({ x: [], y: {}, z: [[], [{}]] }, { indent: 4 })).toBe(
      '{\n    "x": [],\n    "y": {},\n    "z": [\n        [],\n        [\n            {}\n        ]\n    ]\n}',
    );
    expect(pythonJsonDumps([], { indent: 4 })).toBe("[]");
  });

  it("uses ', ' and ': ' separators without indent", () => {
    expect(pythonJsonDumps({ a: [1, "x", true, false, null], b: {} })).toBe('{"a": [1, "x", true, false, null], "b": {}}');
  });

  it("escapes keys like values and keeps a Map's insertion order even for integer-like keys", () => {
    expect(pythonJsonDumps({ "é\n": 1 }, { indent: 2 })).toBe('{\n  "\\u00e9\\n": 1\n}');
    expect(
      pythonJsonDumps(
        new Map([
          ["10", 1],
          ["2", 2],
        ]),
      ),
    ).toBe('{"10": 1, "2": 2}');
  });

  it("writes numbers like Python: safe integers as ints, others as float repr", () => {
    expect(pythonJsonDumps([0, -7, 2 ** 53 - 1, 12345678901234567890n])).toBe("[0, -7, 9007199254740991, 12345678901234567890]");
    expect([1.5, 0.1, 1e-7, 0.0001, 1.2345678901234567e20, 1e16 + 2, 1.7976931348623157e308].map(pyFloatRepr)).toEqual([
      "1.5",
      "0.1",
      "1e-07",
      "0.0001",
      "1.2345678901234567e+20",
      "1.0000000000000002e+16",
      "1.7976931348623157e+308",
    ]);
    expect(pythonJsonDumps([NaN, Infinity, -Infinity])).toBe("[NaN, Infinity, -Infinity]");
  });

  it("refuses values Python's json could not have written", () => {
    expect(() => pythonJsonDumps({ a: undefined } as never)).toThrow(PythonJsonError);
    expect(() => pythonJsonDumps({ d: new Date(0) } as never)).toThrow(/\$\.d/);
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(() => pythonJsonDumps(loop as never)).toThrow(/circular/);
  });
});
