import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { Tool } from "../scaffold/tools/tool.ts";
import { functionTools, textSignature, textToolDocs, toolParameters, ToolSchemaError } from "../scaffold/tool-schema.ts";

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const EDITOR_DOC = "Custom editing tool for viewing, creating and editing files";
const VIEW_RANGE_DOC = "Optional parameter of `view` command when `path` points to a file.";

/**
 * Fake tools with the real tools' schemas. Takes zod as a parameter so its source can be sent to
 * a second process unchanged (the byte-stability test).
 */
const makeTools = (zod: typeof z): Tool[] => {
  const run = async () => ({ output: "" });
  const integer = zod.preprocess(
    (value) => (typeof value === "string" && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value),
    zod.number().int(),
  );
  return [
    {
      name: "bash",
      description: "runs the given command directly in bash",
      schema: zod.strictObject({ command: zod.string().describe("The bash command to execute.") }),
      run,
    },
    {
      name: "str_replace_editor",
      description: "Custom editing tool for viewing, creating and editing files",
      schema: zod.strictObject({
        command: zod
          .enum(["view", "create", "str_replace", "insert", "undo_edit"])
          .describe("The commands to run. Allowed options are: `view`, `create`, `str_replace`, `insert`, `undo_edit`."),
        path: zod.string().describe("Absolute path to file or directory, e.g. `/testbed/file.py` or `/testbed`."),
        file_text: zod.string().optional().describe("Required parameter of `create` command, with the content of the file to be created."),
        old_str: zod
          .string()
          .optional()
          .describe("Required parameter of `str_replace` command containing the string in `path` to replace."),
        new_str: zod.string().optional().describe("Optional parameter of `str_replace` command containing the new string."),
        insert_line: integer.optional().describe("Required parameter of `insert` command."),
        view_range: zod.array(integer).optional().describe("Optional parameter of `view` command when `path` points to a file."),
      }),
      run,
    },
    { name: "submit", description: "submits the current file", schema: zod.strictObject({}), run },
    {
      name: "find_file",
      description: "finds all files with the given name or pattern in dir",
      schema: zod.strictObject({
        file_name: zod.string().describe("the name of the file or pattern to search for"),
        dir: zod.string().optional().describe("the directory to search in"),
      }),
      run,
    },
  ];
};

describe("functionTools", () => {
  it("declares each tool as SWE-agent's Command.get_function_calling_tool does", () => {
    const [bash, editor, submit, findFile] = functionTools(makeTools(z));
    // Expected objects written from SWE-agent's code (key order: type, description, items, enum;
    // parameters type, properties, required), compared as JSON so key order counts.
    expect(JSON.stringify(bash)).toBe(
      JSON.stringify({
        type: "function",
        function: {
          name: "bash",
          description: "runs the given command directly in bash",
          parameters: {
            type: "object",
            properties: { command: { type: "string", description: "The bash command to execute." } },
            required: ["command"],
          },
        },
      }),
    );
    expect(JSON.stringify(editor!.function.parameters)).toBe(
      JSON.stringify({
        type: "object",
        properties: {
          command: {
            type: "string",
            description: "The commands to run. Allowed options are: `view`, `create`, `str_replace`, `insert`, `undo_edit`.",
            enum: ["view", "create", "str_replace", "insert", "undo_edit"],
          },
          path: { type: "string", description: "Absolute path to file or directory, e.g. `/testbed/file.py` or `/testbed`." },
          file_text: { type: "string", description: "Required parameter of `create` command, with the content of the file to be created." },
          old_str: {
            type: "string",
            description: "Required parameter of `str_replace` command containing the string in `path` to replace.",
          },
          new_str: { type: "string", description: "Optional parameter of `str_replace` command containing the new string." },
          insert_line: { type: "integer", description: "Required parameter of `insert` command." },
          view_range: { type: "array", description: VIEW_RANGE_DOC, items: { type: "integer" } },
        },
        required: ["command", "path"],
      }),
    );
    expect(editor!.function.description).toBe(EDITOR_DOC);
    // A tool without arguments is a bare object type, as in SWE-agent.
    expect(JSON.stringify(submit)).toBe(
      JSON.stringify({
        type: "function",
        function: { name: "submit", description: "submits the current file", parameters: { type: "object" } },
      }),
    );
    expect(findFile!.function.parameters).toEqual({
      type: "object",
      properties: {
        file_name: { type: "string", description: "the name of the file or pattern to search for" },
        dir: { type: "string", description: "the directory to search in" },
      },
      required: ["file_name"],
    });
  });

  it("leaves out zod's JSON Schema extras", () => {
    const json = JSON.stringify(functionTools(makeTools(z)));
    for (const noise of ["$schema", "additionalProperties", "minimum", "maximum", "default"]) expect(json).not.toContain(noise);
  });

  it("declares a nullable optional argument by its type, and a literal as a one-value enum", () => {
    const tool = {
      name: "t",
      description: "d",
      schema: z.object({ mode: z.literal("fast").describe("m"), limit: z.number().nullable().optional().describe("l") }),
    };
    expect(functionTools([tool])[0]!.function.parameters).toEqual({
      type: "object",
      properties: { mode: { type: "string", description: "m", enum: ["fast"] }, limit: { type: "number", description: "l" } },
      required: ["mode"],
    });
  });

  it("is byte-identical across independent builds and processes", () => {
    const first = JSON.stringify(functionTools(makeTools(z)));
    expect(JSON.stringify(functionTools(makeTools(z)))).toBe(first);
    // Mutating a returned array must not leak into the next build (the parameters are cached).
    const mutated = functionTools(makeTools(z));
    (mutated[0]!.function.parameters as { properties: Record<string, unknown> }).properties.extra = {};
    expect(JSON.stringify(functionTools(makeTools(z)))).toBe(first);

    const script = [
      'import { z } from "zod";',
      'import { functionTools } from "./scaffold/tool-schema.ts";',
      `const makeTools = ${makeTools.toString()};`,
      "process.stdout.write(JSON.stringify(functionTools(makeTools(z))));",
    ].join("\n");
    const tsx = path.join(projectRoot, "node_modules/.bin/tsx");
    const fromChild = execFileSync(tsx, ["-e", script], { cwd: projectRoot, encoding: "utf8" });
    expect(fromChild).toBe(first);
  });

  it("refuses schemas it cannot declare, naming the tool and argument", () => {
    const union = { name: "u", description: "d", schema: z.object({ value: z.union([z.string(), z.number()]) }) };
    expect(() => functionTools([union])).toThrowError(ToolSchemaError);
    try {
      functionTools([union]);
    } catch (error) {
      expect(error).toMatchObject({ tool: "u", argument: "value" });
    }
    const notObject = { name: "s", description: "d", schema: z.string() as unknown as z.ZodType<Record<string, unknown>> };
    expect(() => functionTools([notObject])).toThrowError(/tool s: expected an object schema/);
  });
});

describe("toolParameters", () => {
  it("writes required arguments by position and optional ones by name, except a lone optional argument", () => {
    const [bash, editor, submit, findFile] = makeTools(z);
    expect(toolParameters(bash!).positional).toEqual(["command"]);
    expect(toolParameters(editor!).positional).toEqual(["command", "path"]);
    expect(toolParameters(submit!).positional).toEqual([]);
    expect(toolParameters(findFile!).positional).toEqual(["file_name", "dir"]);
  });
});

describe("textToolDocs", () => {
  it("renders SWE-agent's command docs layout and the action format", () => {
    const [bash, , submit, findFile] = makeTools(z);
    expect(textToolDocs([bash!, findFile!, submit!])).toBe(
      [
        "bash:",
        "  docstring: runs the given command directly in bash",
        "  signature: <command>",
        "  arguments:",
        "    - command (string) [required]: The bash command to execute.",
        "",
        "find_file:",
        "  docstring: finds all files with the given name or pattern in dir",
        "  signature: find_file <file_name> [<dir>]",
        "  arguments:",
        "    - file_name (string) [required]: the name of the file or pattern to search for",
        "    - dir (string) [optional]: the directory to search in",
        "",
        "submit:",
        "  docstring: submits the current file",
        "  signature: submit",
        "",
        "- Each response must hold a discussion followed by exactly one command in a ``` block. Only the last ``` block of a response is run.",
        "- A block that starts with the name of one of the commands above calls that command. Its arguments are shell words: quote a value that holds spaces, quotes or several lines with '...' or \"...\".",
        "- Any other block is run as a bash command.",
        "",
        "Your response must look like this:",
        "DISCUSSION",
        "Discuss here with yourself about what you're planning and what you're going to do in this step.",
        "",
        "```",
        "command(s) that you're going to run",
        "```",
        "",
      ].join("\n"),
    );
  });

  it("explains named and array arguments only when a tool has them", () => {
    const [, editor] = makeTools(z);
    const docs = textToolDocs([editor!]);
    expect(docs).toContain(
      "  signature: str_replace_editor <command> <path> [--file_text <file_text>] [--old_str <old_str>] [--new_str <new_str>] [--insert_line <insert_line>] [--view_range <view_range>]\n",
    );
    expect(docs).toContain("    - view_range (array of integer) [optional]: " + VIEW_RANGE_DOC + "\n");
    expect(docs).toContain("- Arguments shown as [--name <name>] are given by name: write --name followed by the value.\n");
    expect(docs).toContain("- An array argument is written as its items separated by spaces.\n");
    expect(docs).not.toContain("run as a bash command");
  });

  it("gives bash's signature as the bare command", () => {
    expect(textSignature(makeTools(z)[0]!)).toBe("<command>");
  });
});
