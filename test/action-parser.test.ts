import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { Tool } from "../scaffold/tools/tool.ts";
import type { ToolCall } from "../src/foundation/model/model-result.ts";
import {
  parseAction,
  type ActionErrorCode,
  type ModelReply,
  type ParseOutcome,
  type ParsedAction,
} from "../scaffold/actions/parse-action.ts";
import { shellWords, ShellWordsError } from "../scaffold/shell-words.ts";

// Fake tools with the real tools' schemas (SWE-agent's bash, str_replace_editor, submit, search tools).
const run = async () => ({ output: "" });
const integer = z.preprocess(
  (value) => (typeof value === "string" && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value),
  z.number().int(),
);
const EditorArgs = z.strictObject({
  command: z.enum(["view", "create", "str_replace", "insert", "undo_edit"]).describe("The commands to run."),
  path: z.string().describe("Absolute path to file or directory."),
  file_text: z.string().optional().describe("Required parameter of `create` command."),
  old_str: z.string().optional().describe("Required parameter of `str_replace` command."),
  new_str: z.string().optional().describe("Optional parameter of `str_replace` command."),
  insert_line: integer.optional().describe("Required parameter of `insert` command."),
  view_range: z.array(integer).optional().describe("Optional parameter of `view` command."),
});
const bash: Tool<{ command: string }> = {
  name: "bash",
  description: "runs the given command directly in bash",
  schema: z.strictObject({ command: z.string().describe("The bash command to execute.") }),
  run,
};
const editor: Tool<z.infer<typeof EditorArgs>> = {
  name: "str_replace_editor",
  description: "Custom editing tool for viewing, creating and editing files",
  schema: EditorArgs,
  run,
};
const submit: Tool<Record<string, never>> = { name: "submit", description: "submits the current file", schema: z.strictObject({}), run };
const findFile: Tool<{ file_name: string; dir?: string }> = {
  name: "find_file",
  description: "finds all files with the given name or pattern in dir",
  schema: z.strictObject({ file_name: z.string().describe("the name of the file"), dir: z.string().optional().describe("the directory") }),
  run,
};
const searchDir: Tool<{ search_term: string; dir?: string }> = {
  name: "search_dir",
  description: "searches for search_term in all files in dir",
  schema: z.strictObject({
    search_term: z.string().describe("the term to search for"),
    dir: z.string().optional().describe("the directory"),
  }),
  run,
};
const TOOLS = [bash, editor, submit];
const SEARCH_TOOLS = [findFile, searchDir, submit];

function reply(content: string | null, toolCalls: ToolCall[] = [], finishReason: string | null = "stop"): ModelReply {
  return { message: { content, toolCalls }, finishReason };
}
const call = (name: string, args: string, id = "chatcmpl-tool-1"): ToolCall => ({ id, name, arguments: args });

function expectAction(outcome: ParseOutcome): { action: ParsedAction; thought: string } {
  if (!outcome.ok) throw new Error(`expected an action, got ${outcome.error.code}: ${outcome.error.message}`);
  return outcome;
}
function expectError(outcome: ParseOutcome, code: ActionErrorCode): { message: string; detail: string } {
  if (outcome.ok) throw new Error(`expected ${code}, got an action: ${JSON.stringify(outcome.action)}`);
  expect(outcome.error.code).toBe(code);
  return outcome.error;
}

const TOOLS_REMINDER =
  "Call exactly one tool per response with the function call format: the tool's name and a JSON object of its arguments. Available tools: bash, str_replace_editor, submit.";
const EDITOR_ARGUMENTS = [
  "`str_replace_editor` takes these arguments:",
  "  - command (string) [required]: one of view, create, str_replace, insert, undo_edit",
  "  - path (string) [required]",
  "  - file_text (string) [optional]",
  "  - old_str (string) [optional]",
  "  - new_str (string) [optional]",
  "  - insert_line (integer) [optional]",
  "  - view_range (array of integer) [optional]",
].join("\n");

describe("tools mode: native tool calls", () => {
  it("takes the one tool call, with the content as the thought", () => {
    const { action, thought } = expectAction(
      parseAction(reply("Let me list the files.", [call("bash", '{"command": "ls -la /testbed"}')]), TOOLS, "tools"),
    );
    expect(action).toEqual({
      id: "chatcmpl-tool-1",
      name: "bash",
      args: { command: "ls -la /testbed" },
      rawArguments: '{"command": "ls -la /testbed"}',
      source: "native",
    });
    expect(thought).toBe("Let me list the files.");
  });

  it("coerces integers and arrays sent as strings", () => {
    const raw = '{"command": "view", "path": "/testbed/a.py", "view_range": "[1, 10]"}';
    expect(expectAction(parseAction(reply(null, [call("str_replace_editor", raw)]), TOOLS, "tools")).action.args).toEqual({
      command: "view",
      path: "/testbed/a.py",
      view_range: [1, 10],
    });
    const insert = '{"command": "insert", "path": "/testbed/a.py", "insert_line": "5", "new_str": "x = 1"}';
    expect(expectAction(parseAction(reply(null, [call("str_replace_editor", insert)]), TOOLS, "tools")).action.args).toMatchObject({
      insert_line: 5,
    });
  });

  it("treats empty, null and double-encoded arguments as what they mean", () => {
    expect(expectAction(parseAction(reply(null, [call("submit", "")]), TOOLS, "tools")).action.args).toEqual({});
    const nulls = '{"command": "view", "path": "/testbed", "file_text": null, "view_range": null}';
    expect(expectAction(parseAction(reply(null, [call("str_replace_editor", nulls)]), TOOLS, "tools")).action.args).toEqual({
      command: "view",
      path: "/testbed",
    });
    const doubled = JSON.stringify(JSON.stringify({ command: "pwd" }));
    expect(expectAction(parseAction(reply(null, [call("bash", doubled)]), TOOLS, "tools")).action.args).toEqual({ command: "pwd" });
  });

  it("refuses several calls with SWE-agent's text, naming them", () => {
    const calls = [call("bash", '{"command": "ls"}', "a"), call("submit", "{}", "b")];
    const error = expectError(parseAction(reply("Two at once.", calls), TOOLS, "tools"), "multiple");
    expect(error.message).toBe(
      [
        "Your last output included multiple tool calls!",
        "Please make sure your output includes a thought and exactly _ONE_ function call.",
        "You made 2 tool calls (bash, submit); none of them was run.",
        TOOLS_REMINDER,
      ].join("\n"),
    );
  });

  it("refuses an unknown tool with SWE-agent's text and the available tools", () => {
    const error = expectError(parseAction(reply(null, [call("execute_bash", '{"command": "ls"}')]), TOOLS, "tools"), "unknown_tool");
    expect(error.message).toBe(
      ["Your action could not be parsed properly: Command 'execute_bash' not found in list of available commands.", TOOLS_REMINDER].join(
        "\n",
      ),
    );
  });

  it("refuses arguments that are not JSON, showing them and the tool's arguments", () => {
    const raw = '{"command": "view", "path": "/testbed/a.py"';
    const error = expectError(parseAction(reply(null, [call("str_replace_editor", raw)]), TOOLS, "tools"), "invalid_json");
    expect(error.detail).toMatch(
      /^The arguments of your `str_replace_editor` call are not valid JSON: .+\. They were: \{"command": "view", "path": "\/testbed\/a.py"$/,
    );
    expect(error.message).toBe(`Your action could not be parsed properly: ${error.detail}.\n${EDITOR_ARGUMENTS}\n${TOOLS_REMINDER}`);
    const array = expectError(parseAction(reply(null, [call("bash", '["ls"]')]), TOOLS, "tools"), "invalid_json");
    expect(array.detail).toBe('The arguments of your `bash` call must be one JSON object of argument names to values, not ["ls"]');
  });

  it("names missing and unexpected arguments (SWE-agent's order: missing first)", () => {
    const missing = expectError(
      parseAction(reply(null, [call("str_replace_editor", '{"command": "view", "old": 1}')]), TOOLS, "tools"),
      "missing_arg",
    );
    expect(missing.message).toBe(
      `Your action could not be parsed properly: Required argument(s) missing for \`str_replace_editor\`: path.\n${EDITOR_ARGUMENTS}\n${TOOLS_REMINDER}`,
    );
    const nullRequired = expectError(parseAction(reply(null, [call("bash", '{"command": null}')]), TOOLS, "tools"), "missing_arg");
    expect(nullRequired.detail).toBe("Required argument(s) missing for `bash`: command");

    const unexpected = expectError(
      parseAction(reply(null, [call("str_replace_editor", '{"command": "view", "path": "/a", "line": 3, "mode": "x"}')]), TOOLS, "tools"),
      "unexpected_arg",
    );
    expect(unexpected.message).toBe(
      [
        "Your action could not be parsed properly: Unexpected argument(s) for `str_replace_editor`: line, mode.",
        "Make sure your function call doesn't include any extra arguments that are not in the allowed arguments, and only use the allowed commands.",
        EDITOR_ARGUMENTS,
        TOOLS_REMINDER,
      ].join("\n"),
    );
  });

  it("names the argument whose value the schema rejects, with the value", () => {
    const badEnum = expectError(
      parseAction(reply(null, [call("str_replace_editor", '{"command": "open", "path": "/a"}')]), TOOLS, "tools"),
      "invalid_arg",
    );
    expect(badEnum.detail).toBe(
      'Invalid value for argument `command` of `str_replace_editor`: Invalid option: expected one of "view"|"create"|"str_replace"|"insert"|"undo_edit" (got "open")',
    );
    const badItem = expectError(
      parseAction(reply(null, [call("str_replace_editor", '{"command": "view", "path": "/a", "view_range": [1, "end"]}')]), TOOLS, "tools"),
      "invalid_arg",
    );
    expect(badItem.detail).toMatch(
      /^Invalid value for argument `view_range\[1\]` of `str_replace_editor`: .*expected number.* \(got "end"\)$/,
    );
    expect(badItem.message).toContain(EDITOR_ARGUMENTS);
  });

  it("prefers native calls over tool-call text in the content", () => {
    const content = 'Thinking <tool_call>{"name": "submit", "arguments": {}}</tool_call>';
    expect(expectAction(parseAction(reply(content, [call("bash", '{"command": "ls"}')]), TOOLS, "tools")).action.name).toBe("bash");
  });
});

describe("tools mode: Hermes blocks left in the content", () => {
  const block = (json: string) => `<tool_call>\n${json}\n</tool_call>`;

  it("parses a block after some text; the text is the thought", () => {
    const content = `I will look at the file first.\n\n${block('{"name": "str_replace_editor", "arguments": {"command": "view", "path": "/testbed/a.py"}}')}`;
    const { action, thought } = expectAction(parseAction(reply(content), TOOLS, "tools"));
    expect(action).toMatchObject({
      name: "str_replace_editor",
      args: { command: "view", path: "/testbed/a.py" },
      rawArguments: '{"command":"view","path":"/testbed/a.py"}',
      source: "hermes",
    });
    expect(action.id).toMatch(/^call_[0-9a-f]{24}$/);
    expect(thought).toBe("I will look at the file first.");
    // Same action, same id (replays); another action, another id.
    expect(expectAction(parseAction(reply(content), TOOLS, "tools")).action.id).toBe(action.id);
    const other = block('{"name": "bash", "arguments": {"command": "ls"}}');
    expect(expectAction(parseAction(reply(other), TOOLS, "tools")).action.id).not.toBe(action.id);
  });

  it('accepts arguments given as a JSON string, and "parameters" for "arguments"', () => {
    const asString = block('{"name": "bash", "arguments": "{\\"command\\": \\"echo {a,b}\\"}"}');
    const { action } = expectAction(parseAction(reply(asString), TOOLS, "tools"));
    expect(action.args).toEqual({ command: "echo {a,b}" });
    expect(action.rawArguments).toBe('{"command": "echo {a,b}"}');
    const parameters = `  \n\n${block('{"name": "bash", "parameters": {"command": "pwd"}}')}\n\n `;
    expect(expectAction(parseAction(reply(parameters), TOOLS, "tools")).action.args).toEqual({ command: "pwd" });
    const noArguments = block('{"name": "submit"}');
    expect(expectAction(parseAction(reply(noArguments), TOOLS, "tools")).action).toMatchObject({ name: "submit", args: {} });
  });

  it("accepts a block whose closing tag is missing at the end of the content", () => {
    const content = 'Running the tests.\n<tool_call>\n{"name": "bash", "arguments": {"command": "pytest -x"}}\n';
    const { action, thought } = expectAction(parseAction(reply(content), TOOLS, "tools"));
    expect(action.args).toEqual({ command: "pytest -x" });
    expect(thought).toBe("Running the tests.");
  });

  it("refuses two blocks, naming both calls", () => {
    const content = `${block('{"name": "bash", "arguments": {"command": "ls"}}')}\n${block('{"name": "str_replace_editor", "arguments": {}}')}`;
    const error = expectError(parseAction(reply(content), TOOLS, "tools"), "multiple");
    expect(error.detail).toBe("You made 2 tool calls (bash, str_replace_editor); none of them was run.");
  });

  it("refuses malformed JSON inside the block, quoting it", () => {
    // vLLM #22885: the last brace of the arguments is lost.
    const content = block('{"name": "bash", "arguments": {"command": "ls"}');
    const error = expectError(parseAction(reply(content), TOOLS, "tools"), "invalid_json");
    expect(error.detail).toMatch(
      /^Your <tool_call> block is not valid JSON: .+\. It was: \{"name": "bash", "arguments": \{"command": "ls"\}$/,
    );
    expect(error.message).toBe(`Your action could not be parsed properly: ${error.detail}.\n${TOOLS_REMINDER}`);
    const noName = expectError(parseAction(reply(block('{"arguments": {"command": "ls"}}')), TOOLS, "tools"), "invalid_json");
    expect(noName.detail).toBe(
      'Your <tool_call> block must hold one JSON object with a "name" string and an "arguments" object. It was: {"arguments": {"command": "ls"}}',
    );
    const badString = expectError(
      parseAction(reply(block('{"name": "bash", "arguments": "{command: ls}"}')), TOOLS, "tools"),
      "invalid_json",
    );
    expect(badString.detail).toMatch(
      /^The arguments of your `bash` call \(given as a string\) are not valid JSON: .+\. They were: \{command: ls\}$/,
    );
  });

  it("validates Hermes arguments like native ones", () => {
    const content = block('{"name": "str_replace_editor", "arguments": {"command": "create"}}');
    expect(expectError(parseAction(reply(content), TOOLS, "tools"), "missing_arg").detail).toBe(
      "Required argument(s) missing for `str_replace_editor`: path",
    );
    expect(expectError(parseAction(reply(block('{"name": "ls", "arguments": {}}')), TOOLS, "tools"), "unknown_tool").detail).toBe(
      "Command 'ls' not found in list of available commands.",
    );
  });
});

describe("tools mode: no call, cut-off output", () => {
  it("answers a reply without a call with SWE-agent's message", () => {
    const error = expectError(parseAction(reply("I think the fix is done.\n```\nsubmit\n```"), TOOLS, "tools"), "missing");
    expect(error.message).toBe(
      [
        "Your last output did not use any tool calls!",
        "Please make sure your output includes exactly _ONE_ function call!",
        "You must invoke the function directly using the function call format.",
        "You cannot invoke commands with ```, you have to use the function call format.",
        "If you think you have already resolved the issue, please submit your changes by running the `submit` command.",
        "If you think you cannot solve the problem, please run `submit`.",
        "Else, please continue with a new tool call!",
        TOOLS_REMINDER,
      ].join("\n"),
    );
    // No submit tool, no advice to submit.
    const withoutSubmit = expectError(parseAction(reply(null), [bash], "tools"), "missing");
    expect(withoutSubmit.message).not.toContain("submit");
    expect(withoutSubmit.message).toContain("Please continue with a new tool call!");
  });

  it("reports the token limit when the reply was cut off before a complete call", () => {
    const expected = [
      "Your last output was cut off: it reached the output token limit (finish_reason=length) before it contained a complete tool call, so nothing was run.",
      "Respond more concisely: keep your reasoning short and end with exactly one tool call.",
      TOOLS_REMINDER,
    ].join("\n");
    expect(expectError(parseAction(reply("Let me think about this very care", [], "length"), TOOLS, "tools"), "truncated").message).toBe(
      expected,
    );
    const cutBlock =
      'Fixing it.\n<tool_call>\n{"name": "str_replace_editor", "arguments": {"command": "str_replace", "path": "/a", "old_str": "de';
    expect(expectError(parseAction(reply(cutBlock, [], "length"), TOOLS, "tools"), "truncated").message).toBe(expected);
    // A call that is complete despite the cut is used.
    const complete = '<tool_call>\n{"name": "bash", "arguments": {"command": "ls"}}';
    expect(expectAction(parseAction(reply(complete, [], "length"), TOOLS, "tools")).action.args).toEqual({ command: "ls" });
  });
});

describe("text mode", () => {
  const fenced = (body: string, language = "") => "```" + language + "\n" + body + "\n```";

  it("runs a block that names no tool as a bash command, keeping heredocs and quotes as written", () => {
    const command = [
      "cat <<'EOF' > /testbed/reproduce.py",
      'print("it\'s broken: %s" % {"a": 1})',
      "EOF",
      'python /testbed/reproduce.py && echo "done \\"ok\\""',
    ].join("\n");
    const content = `Let me reproduce the bug first.\n\n${fenced(command, "bash")}`;
    const { action, thought } = expectAction(parseAction(reply(content), TOOLS, "text"));
    expect(action).toMatchObject({ name: "bash", args: { command }, rawArguments: command, source: "text" });
    expect(action.id).toMatch(/^call_[0-9a-f]{24}$/);
    expect(thought).toBe("Let me reproduce the bug first.");
  });

  it("keeps a command that starts with `bash` whole", () => {
    const { action } = expectAction(parseAction(reply(fenced("bash run_tests.sh -k 'test a'")), TOOLS, "text"));
    expect(action.args).toEqual({ command: "bash run_tests.sh -k 'test a'" });
  });

  it("takes the last block as the action and the rest, earlier blocks included, as the thought", () => {
    const content = [
      "The traceback points here:",
      fenced("def f():\n    return g()", "python"),
      "Let me open the file.",
      fenced("str_replace_editor view /testbed/a.py"),
      "",
      "(after)",
    ].join("\n");
    const { action, thought } = expectAction(parseAction(reply(content), TOOLS, "text"));
    expect(action).toMatchObject({
      name: "str_replace_editor",
      args: { command: "view", path: "/testbed/a.py" },
      rawArguments: "view /testbed/a.py",
    });
    expect(thought).toBe(`The traceback points here:\n${fenced("def f():\n    return g()", "python")}\nLet me open the file.\n\n(after)`);
  });

  it("treats a tagged fence inside a block as nested, as SWE-agent does", () => {
    const command = "cat > /testbed/README.md <<'EOF'\n```python\nprint(1)\n```\nEOF";
    const { action } = expectAction(parseAction(reply(`Write docs.\n${fenced(command)}`), TOOLS, "text"));
    expect(action.args).toEqual({ command });
  });

  it("parses multi-line quoted values for named arguments", () => {
    const block = [
      "str_replace_editor str_replace /testbed/pkg/mod.py --old_str 'def f(x):",
      "    return x'  --new_str \"def f(x):",
      "    if x is None:",
      '        return \\"none\\"',
      '    return x"',
    ].join("\n");
    const { action } = expectAction(parseAction(reply(`Fix f.\n${fenced(block)}`), TOOLS, "text"));
    expect(action.args).toEqual({
      command: "str_replace",
      path: "/testbed/pkg/mod.py",
      old_str: "def f(x):\n    return x",
      new_str: 'def f(x):\n    if x is None:\n        return "none"\n    return x',
    });
  });

  it("coerces --insert_line and the spellings of --view_range", () => {
    const insert = fenced("str_replace_editor insert /testbed/a.py --insert_line 5 --new_str 'import os'");
    expect(expectAction(parseAction(reply(insert), TOOLS, "text")).action.args).toEqual({
      command: "insert",
      path: "/testbed/a.py",
      insert_line: 5,
      new_str: "import os",
    });
    for (const spelling of [
      "--view_range 1 10",
      "--view_range [1, 10]",
      '--view_range "[1, 10]"',
      "--view_range=1,10",
      "--view_range 1, 10",
    ]) {
      const content = fenced(`str_replace_editor view /testbed/a.py ${spelling}`);
      expect(expectAction(parseAction(reply(content), TOOLS, "text")).action.args, spelling).toEqual({
        command: "view",
        path: "/testbed/a.py",
        view_range: [1, 10],
      });
    }
    // A flag may come before the positional arguments.
    const early = fenced("str_replace_editor --view_range 3 -1 view /testbed/a.py");
    expect(expectAction(parseAction(reply(early), TOOLS, "text")).action.args).toEqual({
      command: "view",
      path: "/testbed/a.py",
      view_range: [3, -1],
    });
  });

  it("calls argument-less and search tools, with a lone optional argument by position", () => {
    expect(expectAction(parseAction(reply(fenced("submit")), TOOLS, "text")).action).toMatchObject({
      name: "submit",
      args: {},
      rawArguments: "",
    });
    expect(expectAction(parseAction(reply(fenced("find_file x.py /testbed")), SEARCH_TOOLS, "text")).action.args).toEqual({
      file_name: "x.py",
      dir: "/testbed",
    });
    expect(expectAction(parseAction(reply(fenced('search_dir "def foo(" --dir /testbed/src')), SEARCH_TOOLS, "text")).action.args).toEqual({
      search_term: "def foo(",
      dir: "/testbed/src",
    });
    // Without a tool of that name and without bash, the first word must be a command.
    const error = expectError(parseAction(reply(fenced("grep -rn foo /testbed")), SEARCH_TOOLS, "text"), "unknown_tool");
    expect(error.detail).toBe("`grep` is not one of the available commands (find_file, search_dir, submit).");
  });

  it("names bad arguments and shows the usage", () => {
    const unknownFlag = expectError(parseAction(reply(fenced("str_replace_editor view /a --line 3")), TOOLS, "text"), "unexpected_arg");
    expect(unknownFlag.detail).toBe("Unexpected argument(s) for `str_replace_editor`: line");
    const extra = expectError(parseAction(reply(fenced("str_replace_editor str_replace /a old new")), TOOLS, "text"), "unexpected_arg");
    expect(extra.message).toBe(
      [
        'Your action could not be parsed properly: Unexpected argument(s) for `str_replace_editor`: "old", "new". Optional arguments are given by name: --name value.',
        "Usage: str_replace_editor <command> <path> [--file_text <file_text>] [--old_str <old_str>] [--new_str <new_str>] [--insert_line <insert_line>] [--view_range <view_range>]",
        EDITOR_ARGUMENTS,
        "End your response with exactly one ``` block holding one command. Available commands: bash, str_replace_editor, submit. A block that does not start with one of them is run in bash.",
      ].join("\n"),
    );
    expect(expectError(parseAction(reply(fenced("str_replace_editor view")), TOOLS, "text"), "missing_arg").detail).toBe(
      "Required argument(s) missing for `str_replace_editor`: path",
    );
    expect(
      expectError(parseAction(reply(fenced("str_replace_editor insert /a --insert_line two --new_str x")), TOOLS, "text"), "invalid_arg")
        .detail,
    ).toMatch(/^Invalid value for argument `insert_line` of `str_replace_editor`: .*expected number.* \(got "two"\)$/);
    expect(expectError(parseAction(reply(fenced("str_replace_editor create /a --file_text")), TOOLS, "text"), "invalid_arg").detail).toBe(
      "`--file_text` of `str_replace_editor` needs a value.",
    );
    expect(
      expectError(parseAction(reply(fenced("str_replace_editor view --path /a --path /b")), TOOLS, "text"), "invalid_arg").detail,
    ).toBe("`--path` of `str_replace_editor` is given more than once.");
    // Named and positional: the name wins its slot, so the positional word is one too many.
    expect(expectError(parseAction(reply(fenced("str_replace_editor view /a --path /b")), TOOLS, "text"), "unexpected_arg").detail).toBe(
      'Unexpected argument(s) for `str_replace_editor`: "/a". Optional arguments are given by name: --name value.',
    );
    expect(
      expectError(parseAction(reply(fenced("str_replace_editor create /a --file_text 'it''s")), TOOLS, "text"), "invalid_arg").detail,
    ).toBe('The arguments of `str_replace_editor` could not be split into words: the single quote at "\'s" is never closed.');
  });

  it("answers a reply without a block with SWE-agent's thought_action message", () => {
    const error = expectError(parseAction(reply("I will now run ls."), TOOLS, "text"), "missing");
    expect(error.message).toBe(
      [
        "Your output was not formatted correctly. You must always include one discussion and one command as part of your response. Make sure you do not have multiple discussion/command tags.",
        "Your last output did not contain a ``` block with a command.",
        "Please make sure your output precisely matches the following format:",
        "DISCUSSION",
        "Discuss here with yourself about what you're planning and what you're going to do in this step.",
        "",
        "```",
        "command(s) that you're going to run",
        "```",
        "End your response with exactly one ``` block holding one command. Available commands: bash, str_replace_editor, submit. A block that does not start with one of them is run in bash.",
      ].join("\n"),
    );
    expect(expectError(parseAction(reply("Plan:\n\n```bash\nls"), TOOLS, "text"), "missing").detail).toBe(
      "The ``` block that starts on line 3 of your last output is never closed.",
    );
    expect(expectError(parseAction(reply("```\n\n```"), TOOLS, "text"), "missing").detail).toBe(
      "The last ``` block of your output is empty.",
    );
    // Native tool calls are not read in text mode.
    expectError(parseAction(reply("", [call("bash", '{"command": "ls"}')]), TOOLS, "text"), "missing");
  });

  it("reports the token limit when the action block was cut off, even after a complete block", () => {
    const content = `Example:\n${fenced("ls")}\nNow the real edit:\n\`\`\`\nstr_replace_editor create /a --file_text 'lo`;
    const error = expectError(parseAction(reply(content, [], "length"), TOOLS, "text"), "truncated");
    expect(error.message).toBe(
      [
        "Your last output was cut off: it reached the output token limit (finish_reason=length) before it contained a complete command block, so nothing was run.",
        "Respond more concisely: keep your discussion short and end with exactly one command in a ``` block.",
        "End your response with exactly one ``` block holding one command. Available commands: bash, str_replace_editor, submit. A block that does not start with one of them is run in bash.",
      ].join("\n"),
    );
    expectError(parseAction(reply("Let me think", [], "length"), TOOLS, "text"), "truncated");
    // Without the cut, the last complete block is the action (SWE-agent's rule).
    expect(expectAction(parseAction(reply(content), TOOLS, "text")).action.args).toEqual({ command: "ls" });
  });
});

describe("shellWords", () => {
  it("splits like bash", () => {
    expect(shellWords(`a 'b c' "d \\"e\\" \\$f \\n" g\\ h '' ""`)).toEqual(["a", "b c", 'd "e" $f \\n', "g h", "", ""]);
    expect(shellWords("one\\\ntwo three # a comment\nfour x#y")).toEqual(["onetwo", "three", "four", "x#y"]);
    expect(shellWords("  'multi\nline'  \"also\nmulti\"\n")).toEqual(["multi\nline", "also\nmulti"]);
    expect(shellWords("")).toEqual([]);
  });

  it("reports an unclosed quote with its position", () => {
    expect(() => shellWords('ok "open')).toThrowError(new ShellWordsError('ok "open', 3, '"'));
    try {
      shellWords("a 'b");
    } catch (error) {
      expect(error).toMatchObject({ position: 2, quote: "'" });
    }
  });
});

describe("xml mode: SWE-agent's xml_function_calling, case for case (reference §2)", () => {
  const xml = (content: string, options = {}) => parseAction(reply(content), TOOLS, "xml", { xml: options });
  const fn = (name: string, params: Record<string, string>) =>
    `<function=${name}>\n${Object.entries(params)
      .map(([k, v]) => `<parameter=${k}>${v}</parameter>`)
      .join("\n")}\n</function>`;

  it("runs the first call; the text around it, later calls included, is the thought", () => {
    const content = `Let me look.\n\n${fn("bash", { command: "ls /testbed" })}\nThen this:\n${fn("bash", { command: "pwd" })}`;
    const { action, thought } = expectAction(xml(content));
    expect(action).toMatchObject({ name: "bash", args: { command: "ls /testbed" }, source: "xml" });
    expect(thought).toBe(`Let me look.\n\n\nThen this:\n${fn("bash", { command: "pwd" })}`);
  });

  it("cleans values as SWE-agent main does: one leading LF, up to two trailing LFs", () => {
    const cases: Array<[string, string]> = [
      ["\nabc\n", "abc"],
      ["abc\n\n", "abc"],
      ["abc\n\n\n", "abc\n"],
      ["\n\nabc", "\nabc"],
      ["\n", ""],
      ["  abc  ", "  abc  "],
    ];
    for (const [written, value] of cases) {
      expect(expectAction(xml(fn("str_replace_editor", { command: "create", path: "/a", file_text: written }))).action.args.file_text).toBe(
        value,
      );
    }
    // Block style, as SWE-smith's training data writes old_str/new_str: indentation survives.
    const block =
      "<function=str_replace_editor>\n<parameter=command>str_replace</parameter>\n<parameter=path>/a.py</parameter>\n<parameter=old_str>\n    return 1\n</parameter>\n<parameter=new_str>\n    return 2\n</parameter>\n</function>";
    expect(expectAction(xml(block)).action.args).toEqual({
      command: "str_replace",
      path: "/a.py",
      old_str: "    return 1",
      new_str: "    return 2",
    });
  });

  it("maps execute_bash and finish; the name is trimmed, a repeated parameter keeps its last value", () => {
    expect(expectAction(xml("<function=execute_bash>\n<parameter=command>\necho hi\n</parameter>\n</function>")).action.args).toEqual({
      command: "echo hi",
    });
    expect(expectAction(xml("<function=finish>\n</function>")).action.name).toBe("submit");
    expect(
      expectAction(xml("<function= bash >\n<parameter=command>a</parameter><parameter=command>b</parameter>\n</function>")).action.args,
    ).toEqual({ command: "b" });
  });

  it("gives SWE-agent's format errors in its one-line template (double period included)", () => {
    const cases: Array<[string, ActionErrorCode, string]> = [
      ["<function=submit></function>", "missing", "No function found in model response."],
      ["I am done.", "missing", "No function found in model response."],
      ["<function=bash>\n<parameter=command>ls</parameter>", "missing", "No function found in model response."],
      [fn("python", { code: "1" }), "unknown_tool", "Command 'python' not found in list of available commands."],
      [fn("str_replace_editor", { path: "/a" }), "missing_arg", "Required argument(s) missing: command"],
      [fn("submit", { message: "done" }), "unexpected_arg", "Unexpected argument(s): message"],
      [
        fn("str_replace_editor", { command: "view", path: "/a", view_range: "[10, -1]" }),
        "invalid_arg",
        "view_range must be in the format [<start>, <end>], got [10, -1].",
      ],
    ];
    for (const [content, code, detail] of cases) {
      const error = expectError(xml(content), code);
      expect(error.detail).toBe(detail);
      expect(error.message).toBe(`Your action could not be parsed properly: ${detail}.\n`);
    }
    // Where SWE-agent would crash (exit_error), a format error instead.
    expect(
      expectError(xml(fn("str_replace_editor", { command: "view", path: "/a", view_range: "[1,2] x" })), "invalid_json").detail,
    ).toContain("view_range");
  });

  it("lets a wrong value through to the tool, as SWE-agent does (an observation, not a format error)", () => {
    const outcome = xml(fn("str_replace_editor", { command: "bogus", path: "/a" }));
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.toolError).toBe(true);
  });

  it("the two traps: follows SWE-agent by default, the fix is an option", () => {
    const think = `<think>I could run\n${fn("bash", { command: "rm -rf build" })}\nbut no.</think>\n${fn("bash", { command: "ls" })}`;
    expect(expectAction(xml(think)).action.args).toEqual({ command: "rm -rf build" });
    expect(expectAction(xml(think, { skipThink: true })).action.args).toEqual({ command: "ls" });
    expect(expectAction(xml(think, { skipThink: true })).thought).toContain("<think>I could run");
    const toEnd = fn("str_replace_editor", { command: "view", path: "/a", view_range: "[5, -1]" });
    expect(expectError(xml(toEnd), "invalid_arg").detail).toContain("got [5, -1]");
    expect(expectAction(xml(toEnd, { viewRangeToEnd: true })).action.args.view_range).toEqual([5, -1]);
  });

  it("still understands a native tool call or a Hermes block", () => {
    expect(expectAction(parseAction(reply(null, [call("bash", '{"command": "ls"}')]), TOOLS, "xml")).action.source).toBe("native");
    expect(expectAction(xml('<tool_call>\n{"name": "bash", "arguments": {"command": "ls"}}\n</tool_call>')).action.source).toBe("hermes");
  });
});
