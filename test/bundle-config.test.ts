import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BundleConfigError, loadBundle } from "../scaffold/bundles/bundle-config.ts";
import { BundleSetError, loadBundleSet } from "../scaffold/bundles/bundle-set.ts";

const CHECKOUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "bundles/checkout");

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "bottega-bundle-config-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function bundleWith(config: string, name = "b"): string {
  const folder = path.join(dir, name);
  mkdirSync(path.join(folder, "bin"), { recursive: true });
  writeFileSync(path.join(folder, "config.yaml"), config);
  return folder;
}

function errorOf(fn: () => unknown): BundleConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BundleConfigError);
    return error as BundleConfigError;
  }
  throw new Error("expected a BundleConfigError");
}

describe("loadBundle", () => {
  it("reads the test bundle: tools in file order, signatures as invoke formats, state command, install script", () => {
    const bundle = loadBundle(path.join(CHECKOUT, "tools/probe"));
    expect(bundle.name).toBe("probe");
    expect(bundle.hasInstallScript).toBe(true);
    expect(bundle.stateCommand).toBe("_probe_state");
    expect(bundle.commands.map((c) => c.name)).toEqual(["note_write", "tally"]);
    const [note, tally] = bundle.commands;
    expect(note!.endName).toBe("end_of_note");
    // A YAML literal block keeps its final newline; SWE-agent strips the command line later.
    expect(note!.invokeFormat).toBe("note_write {path}\n{text}\nend_of_note\n");
    expect(tally!.invokeFormat).toBe("tally {label} {numbers} {mode}");
    expect(tally!.arguments.map((a) => [a.name, a.required, a.argument_format])).toEqual([
      ["label", true, "{{value}}"],
      ["numbers", false, "--numbers {{value|join(' ')}}"],
      ["mode", false, "--mode {{value}}"],
    ]);
    expect(tally!.arguments[1]!.items).toEqual({ type: "integer" });
    expect(tally!.arguments[2]!.enum).toEqual(["sum", "count"]);
    expect(tally!.formats.numbers!([1, 2, 30])).toBe("--numbers 1 2 30");
  });

  it("builds the invoke format from the arguments when there is no signature (SWE-agent: `name {a} {b} `)", () => {
    const bundle = loadBundle(
      bundleWith(`tools:
  go:
    docstring: null
    arguments:
      - {name: a, type: string, description: x, required: true}
      - {name: b, type: string, description: y, required: false}
`),
    );
    expect(bundle.commands[0]!.invokeFormat).toBe("go {a} {b} ");
    expect(bundle.commands[0]!.docstring).toBeNull();
    expect(bundle.stateCommand).toBeNull();
    expect(bundle.hasInstallScript).toBe(false);
  });

  it("leaves hidden tools out and refuses hidden tools the bundle does not define", () => {
    const folder = bundleWith(`tools:
  one: {docstring: a, signature: one}
  two: {docstring: b, signature: two}
`);
    expect(loadBundle(folder, { hiddenTools: ["two"] }).commands.map((c) => c.name)).toEqual(["one"]);
    const error = errorOf(() => loadBundle(folder, { hiddenTools: ["three"] }));
    expect(error.message).toContain("hidden_tools");
    expect(error.message).toContain("three");
  });

  it.each([
    ["a missing tools key", "state_command: x\n", "tools", "expected record"],
    ["a tool without docstring", "tools:\n  t:\n    signature: t\n", "tools.t.docstring", "expected string"],
    [
      "an argument without required",
      "tools:\n  t:\n    docstring: d\n    signature: t <a>\n    arguments:\n      - {name: a, type: string, description: x}\n",
      "tools.t.arguments.0.required",
      "expected boolean",
    ],
    [
      "a required argument after an optional one",
      "tools:\n  t:\n    docstring: d\n    signature: t [<a>] <b>\n    arguments:\n      - {name: a, type: string, description: x, required: false}\n      - {name: b, type: string, description: y, required: true}\n",
      "tools.t.arguments.1.required",
      "required arguments before optional ones",
    ],
    [
      "an argument missing from the signature",
      "tools:\n  t:\n    docstring: d\n    signature: t <a>\n    arguments:\n      - {name: a, type: string, description: x, required: true}\n      - {name: b, type: string, description: y, required: false}\n",
      "tools.t.signature",
      "b is missing",
    ],
    [
      "a signature field that is no argument",
      "tools:\n  t:\n    docstring: d\n    signature: t <a> <c>\n    arguments:\n      - {name: a, type: string, description: x, required: true}\n",
      "tools.t.signature",
      "(a, c) to be the argument names (a)",
    ],
    [
      "duplicate argument names",
      "tools:\n  t:\n    docstring: d\n    arguments:\n      - {name: a, type: string, description: x, required: true}\n      - {name: a, type: string, description: y, required: true}\n",
      "tools.t.arguments.1.name",
      "appears twice",
    ],
    [
      "an argument_format Bottega cannot render as Jinja would",
      "tools:\n  t:\n    docstring: d\n    signature: t <a>\n    arguments:\n      - {name: a, type: string, description: x, required: true, argument_format: '{{value|upper}}'}\n",
      "tools.t.arguments.0.argument_format",
      "upper is not supported",
    ],
  ])("refuses %s, naming the file and the field", (_label, yaml, field, expected) => {
    const folder = bundleWith(yaml);
    const error = errorOf(() => loadBundle(folder));
    expect(error.file).toBe(path.join(folder, "config.yaml"));
    expect(error.field).toBe(field);
    expect(error.message).toContain(path.join(folder, "config.yaml"));
    expect(error.message).toContain(expected);
  });

  it("names the path of a missing folder, a missing config.yaml and a file that is not YAML", () => {
    expect(errorOf(() => loadBundle(path.join(dir, "nope"))).message).toBe(`${path.join(dir, "nope")}: the bundle folder does not exist`);
    mkdirSync(path.join(dir, "empty"));
    expect(errorOf(() => loadBundle(path.join(dir, "empty"))).message).toBe(
      `${path.join(dir, "empty", "config.yaml")}: the bundle has no config.yaml`,
    );
    expect(errorOf(() => loadBundle(bundleWith("tools: [unclosed", "bad"))).message).toMatch(/config\.yaml: not valid YAML/);
  });

  it("ignores keys SWE-agent ignores", () => {
    const bundle = loadBundle(bundleWith("tools:\n  t: {docstring: d, signature: t, colour: blue}\nextra: 1\n"));
    expect(bundle.commands[0]!.name).toBe("t");
  });
});

describe("loadBundleSet", () => {
  it("resolves bundle paths against the checkout and lists tools and state commands in bundle order", () => {
    const set = loadBundleSet(CHECKOUT, [{ path: "tools/probe" }]);
    expect(set.root).toBe(CHECKOUT);
    expect(set.bundles.map((b) => b.path)).toEqual([path.join(CHECKOUT, "tools/probe")]);
    expect(set.commands.map((c) => c.name)).toEqual(["note_write", "tally"]);
    expect(set.stateCommands).toEqual(["_probe_state"]);
  });

  it("names the bundle and the path when the checkout lacks a bundle", () => {
    expect(() => loadBundleSet(CHECKOUT, [{ path: "tools/probe" }, { path: "tools/edit_anthropic" }])).toThrow(
      new BundleSetError(
        "tools/edit_anthropic",
        path.join(CHECKOUT, "tools/edit_anthropic"),
        `the checkout ${CHECKOUT} has no such bundle folder`,
      ),
    );
    expect(() => loadBundleSet(CHECKOUT, [{ path: "tools" }])).toThrow(/bundle tools \(.*\/tools\): the folder has no config.yaml/);
  });

  it("refuses a tool defined twice, and a bundle tool named bash while the bash tool is on", () => {
    const a = bundleWith("tools:\n  bash: {docstring: d, signature: bash}\n", "a");
    expect(() => loadBundleSet(dir, [{ path: a }])).toThrow(/the tool bash is already defined by <builtin>/);
    expect(loadBundleSet(dir, [{ path: a }], { enableBashTool: false }).commands.map((c) => c.name)).toEqual(["bash"]);
    expect(() => loadBundleSet(CHECKOUT, [{ path: "tools/probe" }, { path: "tools/probe" }])).toThrow(
      /the tool note_write is already defined by/,
    );
  });
});

describe("bundleObservations", () => {
  it("reads the bundles now and records the checkout with its git commit", async () => {
    const { bundleObservations } = await import("../scaffold/bundles/observation-mode.ts");
    const { mode, set } = bundleObservations({ checkout: CHECKOUT, bundles: [{ path: "tools/probe" }], registryVariables: { STAGE: 1 } });
    expect(set.commands.map((c) => c.name)).toEqual(["note_write", "tally"]);
    expect(mode).toMatchObject({
      kind: "bundles",
      checkout: CHECKOUT,
      bundles: [{ path: "tools/probe", hidden_tools: [] }],
      env_variables: null,
      registry_variables: { STAGE: 1 },
    });
    // The test checkout sits in Bottega's own repository, so its commit is Bottega's HEAD.
    expect(mode.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(typeof mode.dirty).toBe("boolean");
    const outside = bundleObservations({ checkout: dir, bundles: [] });
    expect([outside.mode.commit, outside.mode.dirty]).toEqual([null, null]);
    expect(() => bundleObservations({ checkout: CHECKOUT, bundles: [{ path: "tools/nope" }] })).toThrow(BundleSetError);
  });
});
