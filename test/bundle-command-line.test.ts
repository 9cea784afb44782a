import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadBundle, type BundleCommand } from "../scaffold/bundles/bundle-config.ts";
import { blockedAction, DEFAULT_FILTER } from "../scaffold/bundles/action-filter.ts";
import { BASH_COMMAND, commandLine, guardMultilineInput } from "../scaffold/bundles/command-line.ts";
import { exportLine } from "../scaffold/bundles/bundle-install.ts";
import { pythonJsonDumps, pythonRepr } from "../scaffold/bundles/python-value.ts";

const CHECKOUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "bundles/checkout");

// The editor bundle's shape (signature, argument order, argument formats) as the reference
// (swe-agent-interface.md §7.2) gives it; the descriptions are placeholders of our own.
const EDITOR_CONFIG = `tools:
  str_replace_editor:
    signature: |
      str_replace_editor <command> <path> [<file_text>] [<view_range>] [<old_str>] [<new_str>] [<insert_line>]
    docstring: an editor
    arguments:
      - {name: command, type: string, description: d, required: true, enum: [view, create, str_replace, insert, undo_edit]}
      - {name: path, type: string, description: d, required: true}
      - {name: file_text, type: string, description: d, required: false, argument_format: "--file_text {{value}}"}
      - {name: old_str, type: string, description: d, required: false, argument_format: "--old_str {{value}}"}
      - {name: new_str, type: string, description: d, required: false, argument_format: "--new_str {{value}}"}
      - {name: insert_line, type: integer, description: d, required: false, argument_format: "--insert_line {{value}}"}
      - name: view_range
        type: array
        items: {type: integer}
        description: d
        required: false
        argument_format: "--view_range {{value|join(' ')}}"
state_command: _state_anthropic
`;

let dir: string;
let editor: BundleCommand;
let submit: BundleCommand;
let noteWrite: BundleCommand;
let tally: BundleCommand;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "bottega-command-line-"));
  for (const [name, config] of [
    ["edit_anthropic", EDITOR_CONFIG],
    ["submit", "tools:\n  submit:\n    signature: submit\n    docstring: submits\n    arguments: []\n"],
  ] as const) {
    mkdirSync(path.join(dir, name, "bin"), { recursive: true });
    writeFileSync(path.join(dir, name, "config.yaml"), config);
  }
  editor = loadBundle(path.join(dir, "edit_anthropic")).commands[0]!;
  submit = loadBundle(path.join(dir, "submit")).commands[0]!;
  [noteWrite, tally] = loadBundle(path.join(CHECKOUT, "tools/probe")).commands as [BundleCommand, BundleCommand];
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("command lines as SWE-agent builds them", () => {
  it("reproduces the reference's measured editor lines (signature order, empty slots, quoting, argument_format)", () => {
    // XML mode: every value a string except view_range, which the parser has made a list.
    expect(commandLine(editor, { command: "view", path: "/testbed/a.py", view_range: [10, 20] })).toBe(
      "str_replace_editor view /testbed/a.py  --view_range 10 20",
    );
    expect(
      commandLine(editor, {
        command: "str_replace",
        path: "/testbed/a.py",
        old_str: "    def f(x):\n        return 1",
        new_str: "    def f(x):\n        return 2",
      }),
    ).toBe(
      "str_replace_editor str_replace /testbed/a.py   --old_str '    def f(x):\n        return 1' --new_str '    def f(x):\n        return 2'",
    );
    expect(commandLine(editor, { command: "create", path: "/testbed/new file.py", file_text: "print('hi')\n" })).toBe(
      `str_replace_editor create '/testbed/new file.py' --file_text 'print('"'"'hi'"'"')\n'`,
    );
    expect(commandLine(editor, { command: "insert", path: "/testbed/a.py", new_str: "x = 1", insert_line: "3" })).toBe(
      "str_replace_editor insert /testbed/a.py    --new_str 'x = 1' --insert_line 3",
    );
  });

  it("runs bash's command as written (stripped, never quoted) and submit as its name", () => {
    expect(commandLine(BASH_COMMAND, { command: "  ls -la /testbed && echo 'a b'\n" })).toBe("ls -la /testbed && echo 'a b'");
    expect(commandLine(submit, {})).toBe("submit");
  });

  it("renders native tool-call values as Python would: ints bare, lists as repr unless joined, null as nothing", () => {
    expect(commandLine(editor, { command: "insert", path: "/p", new_str: "y", insert_line: 7 })).toBe(
      "str_replace_editor insert /p    --new_str y --insert_line 7",
    );
    expect(commandLine(tally, { label: "sums", numbers: [1, 2, 30], mode: "count" })).toBe("tally sums --numbers 1 2 30 --mode count");
    expect(commandLine(tally, { label: "it's", numbers: null })).toBe(`tally 'it'"'"'s' --numbers`);
    expect(pythonRepr(["a", 1, true, null, { k: "v's" }])).toBe(`['a', 1, True, None, {'k': "v's"}]`);
  });

  it("writes a multi-line tool's arguments unquoted and turns its body into a heredoc before it runs", () => {
    const action = commandLine(noteWrite, { path: "/tmp/note.txt", text: "first line\n  it's indented\n" });
    expect(action).toBe("note_write /tmp/note.txt\nfirst line\n  it's indented\n\nend_of_note");
    const commands = [BASH_COMMAND, noteWrite, tally];
    expect(guardMultilineInput(action, commands)).toBe(
      "note_write /tmp/note.txt << 'end_of_note'\nfirst line\n  it's indented\n\nend_of_note",
    );
    // Already guarded, or no multi-line tool in the line: unchanged.
    expect(guardMultilineInput("note_write /x << 'end_of_note'\na\nend_of_note", commands)).toBe(
      "note_write /x << 'end_of_note'\na\nend_of_note",
    );
    expect(guardMultilineInput("tally a --numbers 1", commands)).toBe("tally a --numbers 1");
    // A bash action may hold a multi-line call after other lines: SWE-agent's slicing applies.
    expect(guardMultilineInput("cd /tmp\nnote_write /x\nbody\nend_of_note", commands)).toBe(
      "cd /tmp\n\nte /x << 'end_of_note'\nbody\nend_of_note",
    );
  });

  it("refuses what SWE-agent's default filter refuses, with its message", () => {
    expect(blockedAction("vim a.py", DEFAULT_FILTER)).toBe("Operation 'vim a.py' is not supported by this environment.");
    expect(blockedAction("python3", DEFAULT_FILTER)).not.toBeNull();
    expect(blockedAction("r2 binary", DEFAULT_FILTER)).not.toBeNull();
    expect(blockedAction("python3 x.py", DEFAULT_FILTER)).toBeNull();
    expect(blockedAction("cd x && vim f", DEFAULT_FILTER)).toBeNull();
  });

  it("exports variables and writes the registry as SWE-agent does", () => {
    expect(exportLine({ USE_FILEMAP: "true", N: 3, FLAG: true, MSG: "it's" })).toBe(
      `export USE_FILEMAP=true && export N=3 && export FLAG=True && export MSG='it'"'"'s'`,
    );
    expect(pythonJsonDumps({ USE_FILEMAP: "true", SUBMIT_REVIEW_MESSAGES: ["é {{diff}}"], n: 0 })).toBe(
      '{"USE_FILEMAP": "true", "SUBMIT_REVIEW_MESSAGES": ["\\u00e9 {{diff}}"], "n": 0}',
    );
  });
});
