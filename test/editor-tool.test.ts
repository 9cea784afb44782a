import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { connectDocker } from "../src/foundation/sandbox/docker/docker-engine.ts";
import { DockerSandbox } from "../src/foundation/sandbox/docker/docker-sandbox.ts";
import { BASE_IMAGE } from "../src/foundation/sandbox/docker/base-image.ts";
import type { ToolContext, ToolResult } from "../scaffold/tools/tool.ts";
import { createEditorTool, EDITOR_DESCRIPTION, EditorArgs } from "../scaffold/tools/editor.ts";
import { codePointLength, countOccurrences, expandTabs, splitlinesCount } from "../scaffold/tools/python-str.ts";
import { PurePath } from "../scaffold/tools/pure-path.ts";
import { functionBodyRows, pythonFilemap } from "../scaffold/tools/python-filemap.ts";
import { z } from "zod";

// Expected observations are written from SWE-agent's tools/edit_anthropic/bin/str_replace_editor:
// the text it prints, plus the newline print() adds.

const MOD_PY = 'import os\n\n\ndef add(a, b):\n\treturn a + b\n\n\nclass Greeter:\n    def hello(self):\n        return "hi"\n';
const DUP_PY = "x = 1\ny = 2\nx = 1\nz = 3\nx = 1\n";
const TRUNCATED =
  "<response clipped><NOTE>To save on context only part of this file has been shown to you. You should retry this tool after you have searched inside the file with `grep -n` in order to find the line numbers of what you are looking for.</NOTE>";
const REVIEW = "Review the changes and make sure they are as expected. Edit the file again if necessary.\n";
const REVIEW_INSERT =
  "Review the changes and make sure they are as expected (correct indentation, no duplicate lines, etc). Edit the file again if necessary.\n";

const MOD_PY_CAT_N =
  "     1\timport os\n" +
  "     2\t\n" +
  "     3\t\n" +
  "     4\tdef add(a, b):\n" +
  "     5\t        return a + b\n" +
  "     6\t\n" +
  "     7\t\n" +
  "     8\tclass Greeter:\n" +
  "     9\t    def hello(self):\n" +
  '    10\t        return "hi"\n' +
  "    11\t\n";

let box: DockerSandbox;
let context: ToolContext;

beforeAll(async () => {
  const docker = await connectDocker();
  box = await DockerSandbox.create(docker, { image: BASE_IMAGE, network: "none", labels: { "bottega.run": "test-editor" } });
  context = {
    sandbox: box,
    repoRoot: "/testbed",
    shell: async (command, options) => {
      const result = await box.exec(command, { cwd: "/testbed", timeoutMs: options?.timeoutMs });
      return { output: result.output, exitCode: result.exitCode, timedOut: result.timedOut };
    },
  };
});

afterAll(async () => {
  await box?.remove();
});

beforeEach(async () => {
  await box.exec("rm -rf /testbed && mkdir -p /testbed");
  await box.writeFile("/testbed/pkg/mod.py", MOD_PY);
  await box.writeFile("/testbed/dup.py", DUP_PY);
  await box.writeFile("/testbed/pkg/.env", "SECRET=1\n");
  await box.writeFile("/testbed/.hidden/notes.txt", "hidden\n");
  await box.writeFile("/testbed/pkg/sub/deep/too_deep.py", "x = 1\n");
  await box.writeFile("/testbed/README.md", "# demo\n");
  // 3000 lines, about 30 KB: past the 16,000-character view limit.
  await box.exec("seq -f 'line %g' 1 3000 > /testbed/long.txt");
});

async function fileText(path: string): Promise<string> {
  return (await box.readFile(path)).toString("utf8");
}

function call(tool: ReturnType<typeof createEditorTool>, args: Record<string, unknown>): Promise<ToolResult> {
  return tool.run(EditorArgs.parse(args), context);
}

describe("str_replace_editor view", () => {
  it("shows a file cat -n style with tabs expanded and the trailing empty line", async () => {
    const result = await call(createEditorTool(), { command: "view", path: "/testbed/pkg/mod.py" });
    expect(result.output).toBe(`Here's the result of running \`cat -n\` on /testbed/pkg/mod.py:\n${MOD_PY_CAT_N}\n`);
    expect(result.isError).toBeFalsy();
  });

  it("shows a line range, and [start, -1] up to the end", async () => {
    const editor = createEditorTool();
    expect((await call(editor, { command: "view", path: "/testbed/pkg/mod.py", view_range: [4, 5] })).output).toBe(
      "Here's the result of running `cat -n` on /testbed/pkg/mod.py:\n     4\tdef add(a, b):\n     5\t        return a + b\n\n",
    );
    expect((await call(editor, { command: "view", path: "/testbed/pkg/mod.py", view_range: [9, -1] })).output).toBe(
      'Here\'s the result of running `cat -n` on /testbed/pkg/mod.py:\n     9\t    def hello(self):\n    10\t        return "hi"\n    11\t\n\n',
    );
  });

  it("validates view_range with SWE-agent's messages", async () => {
    const editor = createEditorTool();
    const view = (range: number[]) => call(editor, { command: "view", path: "/testbed/pkg/mod.py", view_range: range });
    expect((await view([0, 3])).output).toBe(
      "Invalid `view_range`: [0, 3]. Its first element `0` should be within the range of lines of the file: [1, 11]\n",
    );
    expect((await view([12, 12])).output).toBe(
      "Invalid `view_range`: [12, 12]. Its first element `12` should be within the range of lines of the file: [1, 11]\n",
    );
    expect((await view([2, 20])).output).toBe(
      "Invalid `view_range`: [2, 20]. Its second element `20` should be smaller than the number of lines in the file: `11`\n",
    );
    expect((await view([5, 2])).output).toBe(
      "Invalid `view_range`: [5, 2]. Its second element `2` should be larger or equal than its first `5`\n",
    );
    const three = await view([1, 2, 3]);
    expect(three.output).toBe("Invalid `view_range`. It should be a list of two integers.\n");
    expect(three.isError).toBe(true);
  });

  it("lists a directory two levels deep, skipping hidden entries", async () => {
    const result = await call(createEditorTool(), { command: "view", path: "/testbed/" });
    const header = "Here's the files and directories up to 2 levels deep in /testbed, excluding hidden items:\n";
    expect(result.output.startsWith(header)).toBe(true);
    // find's stdout ends with a newline, then the format string adds one and print() another.
    expect(result.output.endsWith("\n\n\n")).toBe(true);
    const listed = result.output.slice(header.length).trimEnd().split("\n").sort();
    expect(listed).toEqual(
      [
        "/testbed",
        "/testbed/README.md",
        "/testbed/dup.py",
        "/testbed/long.txt",
        "/testbed/pkg",
        "/testbed/pkg/mod.py",
        "/testbed/pkg/sub",
      ].sort(),
    );
  });

  it("refuses view_range on a directory and other commands on a directory", async () => {
    const editor = createEditorTool();
    expect((await call(editor, { command: "view", path: "/testbed/pkg", view_range: [1, 2] })).output).toBe(
      "The `view_range` parameter is not allowed when `path` points to a directory.\n",
    );
    expect((await call(editor, { command: "str_replace", path: "/testbed/pkg", old_str: "a" })).output).toBe(
      "The path /testbed/pkg is a directory and only the `view` command can be used on directories\n",
    );
  });

  it("clips a long view at 16,000 characters with SWE-agent's note on the last line", async () => {
    const result = await call(createEditorTool(), { command: "view", path: "/testbed/long.txt" });
    // 9 lines of 7 chars, 90 of 8 and 900 of 9 make 8,883; 711 lines of 10 make 15,993; the
    // last 7 characters are "line 17" of line 1711.
    const lines = result.output.split("\n");
    expect(lines[0]).toBe("Here's the result of running `cat -n` on /testbed/long.txt:");
    expect(lines[1710]).toBe("  1710\tline 1710");
    expect(result.output.endsWith(`  1711\tline 17${TRUNCATED}\n\n`)).toBe(true);
    expect(lines).toHaveLength(1 + 1711 + 2);
  });

  it("clips a range view too, and numbers it from the range start", async () => {
    const result = await call(createEditorTool(), { command: "view", path: "/testbed/long.txt", view_range: [2999, -1] });
    expect(result.output).toBe(
      "Here's the result of running `cat -n` on /testbed/long.txt:\n  2999\tline 2999\n  3000\tline 3000\n  3001\t\n\n",
    );
  });

  it("answers a relative path with the absolute one it probably meant", async () => {
    const result = await call(createEditorTool(), { command: "view", path: "pkg/./mod.py" });
    expect(result.output).toBe(
      "The path pkg/mod.py is not an absolute path, it should start with `/`. Maybe you meant /testbed/pkg/mod.py?\n",
    );
    expect(result.isError).toBe(true);
  });

  it("reports a missing path, spelled as pathlib prints it", async () => {
    const result = await call(createEditorTool(), { command: "view", path: "/testbed//pkg/nope.py" });
    expect(result.output).toBe("The path /testbed/pkg/nope.py does not exist. Please provide a valid path.\n");
    expect(result.isError).toBe(true);
  });

  it("reads through a symlink", async () => {
    await box.exec("ln -s /testbed/pkg/mod.py /testbed/link.py");
    const result = await call(createEditorTool(), { command: "view", path: "/testbed/link.py", view_range: [1, 1] });
    expect(result.output).toBe("Here's the result of running `cat -n` on /testbed/link.py:\n     1\timport os\n\n");
  });
});

describe("str_replace_editor create", () => {
  it("creates a file and refuses to overwrite it afterwards", async () => {
    const editor = createEditorTool();
    const text = "def new():\n\treturn 1\n";
    const created = await call(editor, { command: "create", path: "/testbed/pkg/new.py", file_text: text });
    expect(created.output).toBe("File created successfully at: /testbed/pkg/new.py\n");
    // create writes file_text as given: tabs are kept.
    expect(await fileText("/testbed/pkg/new.py")).toBe(text);
    const again = await call(editor, { command: "create", path: "/testbed/pkg/new.py", file_text: "other" });
    expect(again.output).toBe("File already exists at: /testbed/pkg/new.py. Cannot overwrite files using command `create`.\n");
    expect(again.isError).toBe(true);
    expect(await fileText("/testbed/pkg/new.py")).toBe(text);
  });

  it("needs file_text and an existing parent directory", async () => {
    const editor = createEditorTool();
    expect((await call(editor, { command: "create", path: "/testbed/x.py" })).output).toBe(
      "Parameter `file_text` is required for command: create\n",
    );
    expect((await call(editor, { command: "create", path: "/testbed/missing/x.py", file_text: "x" })).output).toBe(
      "The parent directory /testbed/missing does not exist. Please create it first.\n",
    );
  });
});

describe("str_replace_editor str_replace", () => {
  it("replaces a unique string and shows the snippet around it", async () => {
    const result = await call(createEditorTool(), {
      command: "str_replace",
      path: "/testbed/pkg/mod.py",
      old_str: 'return "hi"',
      new_str: 'return "hello"',
    });
    // The edit is on line 10: the snippet runs from line 10-1-4 = 5 to the last line.
    expect(result.output).toBe(
      "The file /testbed/pkg/mod.py has been edited. Here's the result of running `cat -n` on a snippet of /testbed/pkg/mod.py:\n" +
        "     5\t        return a + b\n" +
        "     6\t\n" +
        "     7\t\n" +
        "     8\tclass Greeter:\n" +
        "     9\t    def hello(self):\n" +
        '    10\t        return "hello"\n' +
        REVIEW,
    );
    // SWE-agent expands every tab of the file it edits.
    expect(await fileText("/testbed/pkg/mod.py")).toBe(MOD_PY.replace("\treturn", "        return").replace('"hi"', '"hello"'));
  });

  it("reports a string that is not there", async () => {
    const result = await call(createEditorTool(), {
      command: "str_replace",
      path: "/testbed/pkg/mod.py",
      old_str: "nothing",
      new_str: "x",
    });
    expect(result.output).toBe("No replacement was performed, old_str `nothing` did not appear verbatim in /testbed/pkg/mod.py.\n");
    expect(result.isError).toBe(true);
  });

  it("lists the lines of every occurrence when the string is not unique", async () => {
    const result = await call(createEditorTool(), { command: "str_replace", path: "/testbed/dup.py", old_str: "x = 1", new_str: "x = 9" });
    expect(result.output).toBe(
      "No replacement was performed. Multiple occurrences of old_str `x = 1` in lines [1, 3, 5]. Please ensure it is unique\n",
    );
    expect(await fileText("/testbed/dup.py")).toBe(DUP_PY);
  });

  it("treats an empty old_str as occurring everywhere", async () => {
    const result = await call(createEditorTool(), { command: "str_replace", path: "/testbed/dup.py", old_str: "", new_str: "q" });
    expect(result.output).toBe(
      "No replacement was performed. Multiple occurrences of old_str `` in lines [1, 2, 3, 4, 5, 6]. Please ensure it is unique\n",
    );
  });

  it("refuses old_str equal to new_str", async () => {
    const result = await call(createEditorTool(), { command: "str_replace", path: "/testbed/dup.py", old_str: "y = 2", new_str: "y = 2" });
    expect(result.output).toBe("No replacement was performed, old_str `y = 2` is the same as new_str `y = 2`.\n");
  });

  it("deletes old_str when new_str is omitted", async () => {
    const result = await call(createEditorTool(), { command: "str_replace", path: "/testbed/dup.py", old_str: "y = 2\n" });
    expect(result.output).toBe(
      "The file /testbed/dup.py has been edited. Here's the result of running `cat -n` on a snippet of /testbed/dup.py:\n" +
        "     1\tx = 1\n     2\tx = 1\n     3\tz = 3\n     4\tx = 1\n" +
        REVIEW,
    );
    expect(await fileText("/testbed/dup.py")).toBe("x = 1\nx = 1\nz = 3\nx = 1\n");
  });

  it("needs old_str", async () => {
    const result = await call(createEditorTool(), { command: "str_replace", path: "/testbed/dup.py", new_str: "x" });
    expect(result.output).toBe("Parameter `old_str` is required for command: str_replace\n");
  });

  it("matches old_str against the tab-expanded file", async () => {
    const result = await call(createEditorTool(), {
      command: "str_replace",
      path: "/testbed/pkg/mod.py",
      old_str: "\treturn a + b",
      new_str: "\treturn a - b",
    });
    expect(result.output).toBe(
      "The file /testbed/pkg/mod.py has been edited. Here's the result of running `cat -n` on a snippet of /testbed/pkg/mod.py:\n" +
        "     1\timport os\n     2\t\n     3\t\n     4\tdef add(a, b):\n     5\t        return a - b\n     6\t\n     7\t\n     8\tclass Greeter:\n" +
        REVIEW,
    );
    expect(await fileText("/testbed/pkg/mod.py")).toContain("\n        return a - b\n");
  });

  it("edits a file larger than 16 KiB", { timeout: 30_000 }, async () => {
    const result = await call(createEditorTool(), {
      command: "str_replace",
      path: "/testbed/long.txt",
      old_str: "line 2000\n",
      new_str: "line two thousand\n",
    });
    expect(result.output).toContain("  2000\tline two thousand\n");
    expect((await box.exec("sed -n 2000p /testbed/long.txt")).output).toBe("line two thousand\n");
  });
});

describe("str_replace_editor insert", () => {
  it("inserts at line 0", async () => {
    const result = await call(createEditorTool(), { command: "insert", path: "/testbed/pkg/mod.py", insert_line: 0, new_str: "# header" });
    expect(result.output).toBe(
      "The file /testbed/pkg/mod.py has been edited. Here's the result of running `cat -n` on a snippet of the edited file:\n" +
        "     1\t# header\n     2\timport os\n     3\t\n     4\t\n     5\tdef add(a, b):\n" +
        REVIEW_INSERT,
    );
    expect(await fileText("/testbed/pkg/mod.py")).toBe(`# header\n${expandTabs(MOD_PY)}`);
  });

  it("inserts after the last line (after the empty line a final newline leaves)", async () => {
    const result = await call(createEditorTool(), { command: "insert", path: "/testbed/pkg/mod.py", insert_line: 11, new_str: "# footer" });
    expect(result.output).toBe(
      "The file /testbed/pkg/mod.py has been edited. Here's the result of running `cat -n` on a snippet of the edited file:\n" +
        '     8\tclass Greeter:\n     9\t    def hello(self):\n    10\t        return "hi"\n    11\t\n    12\t# footer\n' +
        REVIEW_INSERT,
    );
    expect(await fileText("/testbed/pkg/mod.py")).toBe(`${expandTabs(MOD_PY)}\n# footer`);
  });

  it("refuses a line out of range and missing arguments", async () => {
    const editor = createEditorTool();
    const insert = (args: Record<string, unknown>) => call(editor, { command: "insert", path: "/testbed/pkg/mod.py", ...args });
    expect((await insert({ insert_line: 12, new_str: "x" })).output).toBe(
      "Invalid `insert_line` parameter: 12. It should be within the range of lines of the file: [0, 11]\n",
    );
    expect((await insert({ insert_line: -1, new_str: "x" })).output).toBe(
      "Invalid `insert_line` parameter: -1. It should be within the range of lines of the file: [0, 11]\n",
    );
    expect((await insert({ new_str: "x" })).output).toBe("Parameter `insert_line` is required for command: insert\n");
    expect((await insert({ insert_line: 1 })).output).toBe("Parameter `new_str` is required for command: insert\n");
    expect(await fileText("/testbed/pkg/mod.py")).toBe(MOD_PY);
  });
});

describe("str_replace_editor undo_edit", () => {
  it("restores the file before the last edit, one edit at a time", async () => {
    const editor = createEditorTool();
    await call(editor, { command: "str_replace", path: "/testbed/pkg/mod.py", old_str: "import os", new_str: "import sys" });
    await call(editor, { command: "insert", path: "/testbed/pkg/mod.py", insert_line: 0, new_str: "# top" });

    const first = await call(editor, { command: "undo_edit", path: "/testbed/pkg/mod.py" });
    expect(first.output).toBe(
      "Last edit to /testbed/pkg/mod.py undone successfully. Here's the result of running `cat -n` on /testbed/pkg/mod.py:\n" +
        MOD_PY_CAT_N.replace("import os", "import sys") +
        "\n",
    );
    const second = await call(editor, { command: "undo_edit", path: "/testbed/pkg/mod.py" });
    expect(second.output).toBe(
      `Last edit to /testbed/pkg/mod.py undone successfully. Here's the result of running \`cat -n\` on /testbed/pkg/mod.py:\n${MOD_PY_CAT_N}\n`,
    );
    // The original bytes come back, tab included.
    expect(await fileText("/testbed/pkg/mod.py")).toBe(MOD_PY);

    const third = await call(editor, { command: "undo_edit", path: "/testbed/pkg/mod.py" });
    expect(third.output).toBe("No edit history found for /testbed/pkg/mod.py.\n");
    expect(third.isError).toBe(true);
  });

  it("keeps history per tool instance", async () => {
    await call(createEditorTool(), { command: "str_replace", path: "/testbed/dup.py", old_str: "y = 2", new_str: "y = 3" });
    const result = await call(createEditorTool(), { command: "undo_edit", path: "/testbed/dup.py" });
    expect(result.output).toBe("No edit history found for /testbed/dup.py.\n");
  });
});

describe("str_replace_editor encodings and line endings", () => {
  // Decision (as SWE-agent): a file that is not UTF-8 is read as Latin-1, which maps each byte
  // to one character, and written back as Latin-1, so bytes outside the edit are kept.
  it("edits a Latin-1 file and writes it back in Latin-1", async () => {
    await box.writeFile("/testbed/latin.txt", Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a, 0x6e, 0x61, 0xef, 0x76, 0x65, 0x0a]));
    const editor = createEditorTool();
    const view = await call(editor, { command: "view", path: "/testbed/latin.txt" });
    expect(view.output).toBe("Here's the result of running `cat -n` on /testbed/latin.txt:\n     1\tcafé\n     2\tnaïve\n     3\t\n\n");
    await call(editor, { command: "str_replace", path: "/testbed/latin.txt", old_str: "naïve", new_str: "naïf" });
    expect([...(await box.readFile("/testbed/latin.txt"))]).toEqual([0x63, 0x61, 0x66, 0xe9, 0x0a, 0x6e, 0x61, 0xef, 0x66, 0x0a]);
  });

  it("refuses text Latin-1 cannot hold with Python's message and leaves the file alone", async () => {
    const bytes = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]);
    await box.writeFile("/testbed/latin.txt", bytes);
    const result = await call(createEditorTool(), {
      command: "str_replace",
      path: "/testbed/latin.txt",
      old_str: "café",
      new_str: "caf\u2019e",
    });
    expect(result.output).toBe(
      "Ran into 'latin-1' codec can't encode character '\\u2019' in position 3: ordinal not in range(256) while trying to write to /testbed/latin.txt\n",
    );
    expect(await box.readFile("/testbed/latin.txt")).toEqual(bytes);
  });

  it("shows a CRLF file without carriage returns and keeps CRLF when editing it", async () => {
    await box.writeFile("/testbed/crlf.txt", "one\r\ntwo\r\nthree\r\n");
    const editor = createEditorTool();
    expect((await call(editor, { command: "view", path: "/testbed/crlf.txt" })).output).toBe(
      "Here's the result of running `cat -n` on /testbed/crlf.txt:\n     1\tone\n     2\ttwo\n     3\tthree\n     4\t\n\n",
    );
    await call(editor, { command: "str_replace", path: "/testbed/crlf.txt", old_str: "two", new_str: "deux" });
    expect(await fileText("/testbed/crlf.txt")).toBe("one\r\ndeux\r\nthree\r\n");
  });

  it("keeps the mode of the file it edits", async () => {
    await box.writeFile("/testbed/run.sh", "echo hi\n", 0o755);
    await call(createEditorTool(), { command: "str_replace", path: "/testbed/run.sh", old_str: "hi", new_str: "ho" });
    expect((await box.exec("stat -c %a /testbed/run.sh && /testbed/run.sh")).output).toBe("755\nho\n");
  });
});

describe("str_replace_editor arguments", () => {
  it("declares SWE-agent's name and arguments, and a description covering what its docstring says", () => {
    const editor = createEditorTool();
    expect(editor.name).toBe("str_replace_editor");
    expect(editor.description).toBe(EDITOR_DESCRIPTION);
    for (const fact of ["cat -n", "2 levels deep", "<response clipped>", "undo_edit", "EXACTLY", "unique"])
      expect(editor.description).toContain(fact);
    const schema = z.toJSONSchema(EditorArgs) as { properties: Record<string, { enum?: string[] }>; required: string[] };
    expect(Object.keys(schema.properties)).toEqual(["command", "path", "file_text", "old_str", "new_str", "insert_line", "view_range"]);
    expect(schema.required).toEqual(["command", "path"]);
    expect(schema.properties.command?.enum).toEqual(["view", "create", "str_replace", "insert", "undo_edit"]);
  });

  it("rejects unknown commands and unexpected arguments, and reads integer strings", () => {
    expect(EditorArgs.safeParse({ command: "delete", path: "/testbed" }).success).toBe(false);
    expect(EditorArgs.safeParse({ command: "view", path: "/testbed", line: 3 }).success).toBe(false);
    expect(EditorArgs.parse({ command: "view", path: "/x", view_range: ["1", "-1"], insert_line: "3" })).toMatchObject({
      view_range: [1, -1],
      insert_line: 3,
    });
  });
});

describe("Python string semantics the editor relies on", () => {
  it("expands tabs per column, resetting at \\n and \\r", () => {
    expect(expandTabs("a\tb")).toBe("a       b");
    expect(expandTabs("abcdefgh\tx")).toBe("abcdefgh        x");
    expect(expandTabs("ab\r\tc")).toBe("ab\r        c");
  });

  it("counts like str.count and str.splitlines", () => {
    expect(countOccurrences("aaa", "aa")).toBe(1);
    expect(countOccurrences("héllo", "")).toBe(6);
    expect(countOccurrences("😀😀", "")).toBe(3);
    expect(splitlinesCount("a\nb\n")).toBe(2);
    expect(splitlinesCount("a\x0cb")).toBe(2);
    expect(splitlinesCount("")).toBe(0);
    expect(codePointLength("😀")).toBe(1);
  });

  it("spells paths as pathlib does", () => {
    expect(PurePath.of("/testbed//a/./b/").toString()).toBe("/testbed/a/b");
    expect(PurePath.of("//x").toString()).toBe("//x");
    expect(PurePath.of("///x").toString()).toBe("/x");
    expect(PurePath.of("").toString()).toBe(".");
    expect(PurePath.of("a/../b").toString()).toBe("a/../b");
    expect(PurePath.of("/").parent.toString()).toBe("/");
    expect(PurePath.of("/a/b.tar.py").suffix).toBe(".py");
    expect(PurePath.of("/a/.bashrc").suffix).toBe("");
  });
});

describe("filemap of large Python files (SWE-agent's USE_FILEMAP)", () => {
  // Rows as tree-sitter-python v0.20.2 gives them for `(function_definition body: (_) @body)`.
  const SNIPPET =
    [
      "import os", // 0
      "",
      "def outer(a,", // 2
      '          b: "x:y" = {1: 2}) -> int:',
      "    # leading comment", // 4: before the first statement, so outside the body
      '    s = """def fake():', // 5: the body starts here
      '    pass"""',
      "    def inner():",
      "        return 1", // 8: inner's body
      "    async def ainner():",
      "        x = 1", // 10
      "        y = 2",
      "        return x + y",
      "            # deeper comment", // 13: indented as deep as ainner's body, so inside it
      "    return a  # done", // 14: inline comment then a blank line: v0.20.2 closes outer here
      "",
      "        # deep trailing",
      "  # shallow",
      "@decorator",
      "def tabbed():",
      "\tif True:", // 20
      "\t\tpass",
      "\treturn 2", // 22
    ].join("\n") + "\n";

  it("finds each function body's rows as the grammar's indentation scanner does", () => {
    expect(functionBodyRows(SNIPPET)).toEqual([
      [5, 14],
      [8, 8],
      [10, 13],
      [20, 22],
    ]);
  });

  it("elides bodies spanning 5 rows or more, numbering lines `{:6d} {line}`", () => {
    expect(pythonFilemap(SNIPPET)).toBe(
      [
        "     1 import os",
        "     2 ",
        "     3 def outer(a,",
        '     4           b: "x:y" = {1: 2}) -> int:',
        "     5     # leading comment",
        "     6 ... eliding lines 6-15 ...",
        "    16 ",
        "    17         # deep trailing",
        "    18   # shallow",
        "    19 @decorator",
        "    20 def tabbed():",
        "    21 \tif True:",
        "    22 \t\tpass",
        "    23 \treturn 2",
      ].join("\n"),
    );
  });

  it("is what view shows for a Python file over 16,000 characters, between SWE-agent's notes", async () => {
    const functions = Array.from({ length: 40 }, (_, k) => {
      const body = Array.from({ length: 10 }, (_, j) => `    a${j} = x + ${j}  # padding padding padding`);
      return [`def f${k}(x):`, ...body, "    return a9", ""].join("\n");
    });
    await box.writeFile("/testbed/big.py", `import os\n\n${functions.join("\n")}\n`);
    // Function k: `def` on row 2 + 13k, body on rows 3 + 13k to 13 + 13k, a blank row after.
    const expected = ["     1 import os", "     2 "];
    for (let k = 0; k < 40; k++) {
      const def = 2 + 13 * k;
      expected.push(
        `${String(def + 1).padStart(6)} def f${k}(x):`,
        `${String(def + 2).padStart(6)} ... eliding lines ${def + 2}-${def + 12} ...`,
        `${String(def + 13).padStart(6)} `,
      );
    }
    const result = await call(createEditorTool(), { command: "view", path: "/testbed/big.py" });
    expect(result.output).toBe(
      "<NOTE>This file is too long to show in full, so an abbreviated version follows. Use `str_replace_editor view` with `view_range` to see the lines you need.</NOTE>\n" +
        expected.join("\n") +
        "\n<IMPORTANT><NOTE>The file above was abbreviated. Use `str_replace_editor view` with `view_range` to read the parts that matter in detail.</NOTE></IMPORTANT>\n",
    );

    const plain = await call(createEditorTool({ useFilemap: false }), { command: "view", path: "/testbed/big.py" });
    expect(plain.output.startsWith("Here's the result of running `cat -n` on /testbed/big.py:\n     1\timport os\n")).toBe(true);
    expect(plain.output.endsWith(`${TRUNCATED}\n\n`)).toBe(true);
  });
});
