import { z } from "zod";
import type { Tool, ToolContext, ToolResult } from "./tool.ts";
import { catN, MAX_RESPONSE_LEN, maybeTruncate } from "./cat-n.ts";
import { decodeFileText, encodeFileText, NEW_FILE_FORMAT, UnencodableTextError, type FileFormat } from "./file-text.ts";
import { codePointLength, countNewlines, countOccurrences, expandTabs, pyIntList, splitlinesCount } from "./python-str.ts";
import { PurePath } from "./pure-path.ts";
import { pythonFilemap } from "./python-filemap.ts";
import { FileWriteError, probePath, shellWorkingDirectory, withArgs, writeSandboxFile, type PathProbe } from "./sandbox-fs.ts";

/**
 * SWE-agent's `str_replace_editor` (tools/edit_anthropic), reimplemented on the host: the same
 * arguments, checks, order of checks and observation texts, so a model trained on SWE-agent
 * trajectories sees what it was trained on. Each observation ends with the newline Python's
 * print() adds, since SWE-agent passes the tool's stdout through untouched.
 *
 * Where this differs from SWE-agent, on purpose:
 * - undo_edit works. SWE-agent keeps the history in a registry property whose getter returns a
 *   fresh dict, so nothing is ever saved and undo_edit always answers "No edit history found".
 *   Ours keeps the stack in memory for the tool instance (one per episode).
 * - Undo restores the file's exact bytes (SWE-agent would rewrite it as UTF-8 with "\n").
 * - CRLF files keep "\r\n" (see file-text.ts).
 * - Where SWE-agent crashes after writing an edit (the snippet window assertion when an edit
 *   empties the file, `str.split("")` for an empty old_str on an empty file) we show the snippet.
 * - A write that fails leaves the file as it was; Python's open("w") would already have
 *   truncated it.
 * - The large-file filemap is computed without tree-sitter (python-filemap.ts follows the
 *   grammar's indentation scanner); SWE-agent falls back to the clipped view when tree-sitter
 *   is missing or fails, which ours never does.
 */

const COMMANDS = ["view", "create", "str_replace", "insert", "undo_edit"] as const;

/** Lines of context around an edit in the confirmation snippet. */
const SNIPPET_LINES = 4;

// Models sometimes send integers as strings; SWE-agent pasted them into a command line, where
// argparse read them as ints either way.
const integer = z.preprocess(
  (value) => (typeof value === "string" && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value),
  z.number().int(),
);

export const EditorArgs = z.strictObject({
  command: z.enum(COMMANDS).describe("The command to run: one of `view`, `create`, `str_replace`, `insert`, `undo_edit`."),
  path: z.string().describe("Absolute path of a file or directory, such as `/testbed/file.py` or `/testbed`."),
  file_text: z.string().optional().describe("For `create` (required): the content of the new file."),
  old_str: z.string().optional().describe("For `str_replace` (required): the text in `path` to be replaced."),
  new_str: z
    .string()
    .optional()
    .describe(
      "For `str_replace` (optional): the replacement text; when left out, `old_str` is deleted. For `insert` (required): the text to insert.",
    ),
  insert_line: integer.optional().describe("For `insert` (required): `new_str` goes in after this line number of `path`."),
  view_range: z
    .array(integer)
    .optional()
    .describe(
      "For `view` of a file (optional): the line range to show, counting from 1, e.g. [11, 12] shows lines 11 and 12, and [start_line, -1] shows everything from start_line to the end. Without it the whole file is shown.",
    ),
});
export type EditorArgs = z.infer<typeof EditorArgs>;

/** SWE-agent's docstring for the tool as its YAML loader folds it (lines joined by spaces). */
/**
 * What the model is told about the tool: the same facts as SWE-agent's docstring (which the
 * model may have been trained with), in our own words.
 */
export const EDITOR_DESCRIPTION =
  "A tool to view, create and edit files. Its state persists from one call to the next.\n" +
  "* `view` on a file prints it as `cat -n` would; on a directory it lists the files and directories in it up to 2 levels deep, hidden ones left out.\n" +
  "* `create` refuses a `path` that is already a file.\n" +
  "* Long output is cut and marked with `<response clipped>`.\n" +
  "* `undo_edit` takes back the last edit made to the file at `path`.\n" +
  "About `str_replace`:\n" +
  "* `old_str` must match one or more whole consecutive lines of the file EXACTLY, whitespace included.\n" +
  "* If `old_str` occurs more than once, nothing is replaced: give enough surrounding lines to make it unique.\n" +
  "* `new_str` holds the lines that take the place of `old_str`.\n";

/** Around an abbreviated view of a large Python file (SWE-agent shows one too, worded its way). */
const FILEMAP_HEADER =
  "<NOTE>This file is too long to show in full, so an abbreviated version follows. Use `str_replace_editor view` with `view_range` to see the lines you need.</NOTE>";
const FILEMAP_FOOTER =
  "<IMPORTANT><NOTE>The file above was abbreviated. Use `str_replace_editor view` with `view_range` to read the parts that matter in detail.</NOTE></IMPORTANT>";

export interface EditorOptions {
  /**
   * Show a Python file longer than the view limit as a filemap (SWE-agent's USE_FILEMAP, which
   * its default and SWE-bench configs turn on). Default true.
   */
  useFilemap?: boolean;
}

/** A refused call: the message SWE-agent prints and the exit code it uses for that refusal. */
export class EditorRefusal extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly path?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

interface HistoryEntry {
  /** What undo_edit shows. */
  text: string;
  /** What undo_edit writes back. */
  bytes: Buffer;
}

/** One editor per episode: its undo history lives as long as the instance. */
export function createEditorTool(options: EditorOptions = {}): Tool<EditorArgs> {
  const history = new Map<string, HistoryEntry[]>();
  return {
    name: "str_replace_editor",
    description: EDITOR_DESCRIPTION,
    schema: EditorArgs,
    async run(args: EditorArgs, context: ToolContext): Promise<ToolResult> {
      try {
        const output = await new EditorCall(args, context, history, options).run();
        return { output: output === "" ? "" : `${output}\n` };
      } catch (error) {
        if (error instanceof EditorRefusal) return { output: `${error.message}\n`, isError: true };
        throw error;
      }
    },
  };
}

class EditorCall {
  private path!: PurePath;
  private probe!: PathProbe;

  constructor(
    private readonly args: EditorArgs,
    private readonly context: ToolContext,
    private readonly history: Map<string, HistoryEntry[]>,
    private readonly options: EditorOptions,
  ) {}

  private get sandbox() {
    return this.context.sandbox;
  }

  async run(): Promise<string> {
    const { command, file_text, old_str, new_str, insert_line, view_range } = this.args;
    await this.validatePath();
    switch (command) {
      case "view":
        return this.view(view_range);
      case "create":
        if (file_text === undefined) throw this.refuse("Parameter `file_text` is required for command: create", 1);
        return this.create(file_text);
      case "str_replace":
        if (old_str === undefined) throw this.refuse("Parameter `old_str` is required for command: str_replace", 2);
        return this.strReplace(old_str, new_str);
      case "insert":
        if (insert_line === undefined) throw this.refuse("Parameter `insert_line` is required for command: insert", 3);
        if (new_str === undefined) throw this.refuse("Parameter `new_str` is required for command: insert", 4);
        return this.insert(insert_line, new_str);
      case "undo_edit":
        return this.undo();
    }
  }

  private refuse(message: string, exitCode: number): EditorRefusal {
    return new EditorRefusal(message, exitCode, this.path?.toString());
  }

  private async validatePath(): Promise<void> {
    const { command } = this.args;
    this.path = PurePath.of(this.args.path);
    if (!this.path.isAbsolute) {
      const cwd = PurePath.of(await shellWorkingDirectory(this.context));
      throw this.refuse(
        `The path ${this.path} is not an absolute path, it should start with \`/\`. Maybe you meant ${cwd.join(this.path)}?`,
        6,
      );
    }
    this.probe = await probePath(this.sandbox, this.path.toString(), this.path.parent.toString());
    if (this.probe.kind === "missing" && command !== "create") {
      throw this.refuse(`The path ${this.path} does not exist. Please provide a valid path.`, 7);
    }
    if (this.probe.kind !== "missing" && command === "create") {
      throw this.refuse(`File already exists at: ${this.path}. Cannot overwrite files using command \`create\`.`, 8);
    }
    if (this.probe.kind === "directory" && command !== "view") {
      throw this.refuse(`The path ${this.path} is a directory and only the \`view\` command can be used on directories`, 9);
    }
  }

  private async view(viewRange: number[] | undefined): Promise<string> {
    // SWE-agent tests `if view_range:`, so an empty list counts as no range.
    const hasRange = viewRange !== undefined && viewRange.length > 0;
    if (this.probe.kind === "directory") {
      if (hasRange) throw this.refuse("The `view_range` parameter is not allowed when `path` points to a directory.", 10);
      return this.listDirectory();
    }
    let { text } = await this.read();
    let initLine = 1;
    if (hasRange) {
      // SWE-agent's argparse takes exactly two ints; this is its own message for anything else.
      if (viewRange.length !== 2) throw this.refuse("Invalid `view_range`. It should be a list of two integers.", 11);
      const lines = text.split("\n");
      const n = lines.length;
      const [first, last] = viewRange as [number, number];
      const shown = pyIntList(viewRange);
      if (first < 1 || first > n) {
        throw this.refuse(
          `Invalid \`view_range\`: ${shown}. Its first element \`${first}\` should be within the range of lines of the file: ${pyIntList([1, n])}`,
          12,
        );
      }
      if (last > n) {
        throw this.refuse(
          `Invalid \`view_range\`: ${shown}. Its second element \`${last}\` should be smaller than the number of lines in the file: \`${n}\``,
          13,
        );
      }
      if (last !== -1 && last < first) {
        throw this.refuse(
          `Invalid \`view_range\`: ${shown}. Its second element \`${last}\` should be larger or equal than its first \`${first}\``,
          14,
        );
      }
      text = lines.slice(first - 1, last === -1 ? n : last).join("\n");
      initLine = first;
    } else if ((this.options.useFilemap ?? true) && this.path.suffix === ".py" && codePointLength(text) > MAX_RESPONSE_LEN) {
      return `${FILEMAP_HEADER}\n${maybeTruncate(expandTabs(pythonFilemap(text)))}\n${FILEMAP_FOOTER}`;
    }
    return catN(text, this.path.toString(), initLine);
  }

  private async listDirectory(): Promise<string> {
    // The same find as SWE-agent (path quoted here). It prints nothing at all when find wrote to
    // stderr, so stderr is captured apart from the listing.
    const script = `exec 3>&1; err=$(find "$1" -maxdepth 2 -not -path '*/\\.*' 2>&1 1>&3); [ -z "$err" ]`;
    const result = await this.sandbox.exec(withArgs(script, this.path.toString()), { timeoutMs: 60_000 });
    if (result.exitCode !== 0) return "";
    return `Here's the files and directories up to 2 levels deep in ${this.path}, excluding hidden items:\n${result.output}\n`;
  }

  private async create(fileText: string): Promise<string> {
    if (!this.probe.parentExists) {
      throw this.refuse(`The parent directory ${this.path.parent} does not exist. Please create it first.`, 21);
    }
    const bytes = await this.write(fileText, NEW_FILE_FORMAT);
    this.remember({ text: fileText, bytes });
    return `File created successfully at: ${this.path}`;
  }

  private async strReplace(oldStr: string, newStr: string | undefined): Promise<string> {
    const original = await this.read();
    const content = expandTabs(original.text);
    const old = expandTabs(oldStr);
    const replacement = newStr === undefined ? "" : expandTabs(newStr);

    const occurrences = countOccurrences(content, old);
    if (occurrences === 0) {
      throw this.refuse(`No replacement was performed, old_str \`${old}\` did not appear verbatim in ${this.path}.`, 15);
    }
    if (occurrences > 1) {
      // Only lines that contain old_str whole are listed, so a multi-line old_str lists none.
      const lines = content.split("\n").flatMap((line, i) => (line.includes(old) ? [i + 1] : []));
      throw this.refuse(
        `No replacement was performed. Multiple occurrences of old_str \`${old}\` in lines ${pyIntList(lines)}. Please ensure it is unique`,
        16,
      );
    }
    if (replacement === old) {
      throw this.refuse(`No replacement was performed, old_str \`${old}\` is the same as new_str \`${replacement}\`.`, 161);
    }

    const at = content.indexOf(old);
    const updated = content.slice(0, at) + replacement + content.slice(at + old.length);
    await this.write(updated, original.format);
    this.remember(original);

    const replacementLine = countNewlines(content.slice(0, at));
    const updatedLines = updated.split("\n");
    let start = Math.max(1, replacementLine - SNIPPET_LINES);
    let end = Math.min(replacementLine + SNIPPET_LINES + countNewlines(replacement), splitlinesCount(updated));
    // SWE-agent asserts 1 <= start <= end <= lines here and crashes after writing when it fails
    // (an edit that empties the file); we clamp and show what is there.
    end = Math.min(Math.max(end, start), updatedLines.length);
    start = Math.min(start, end);
    const snippet = updatedLines.slice(start - 1, end).join("\n");
    return (
      `The file ${this.path} has been edited. ` +
      catN(snippet, `a snippet of ${this.path}`, start) +
      "Review the changes and make sure they are as expected. Edit the file again if necessary."
    );
  }

  private async insert(insertLine: number, newStr: string): Promise<string> {
    const original = await this.read();
    const lines = expandTabs(original.text).split("\n");
    const inserted = expandTabs(newStr).split("\n");
    const n = lines.length;
    if (insertLine < 0 || insertLine > n) {
      throw this.refuse(
        `Invalid \`insert_line\` parameter: ${insertLine}. It should be within the range of lines of the file: ${pyIntList([0, n])}`,
        17,
      );
    }
    const updated = [...lines.slice(0, insertLine), ...inserted, ...lines.slice(insertLine)].join("\n");
    const snippet = [
      ...lines.slice(Math.max(0, insertLine - SNIPPET_LINES), insertLine),
      ...inserted,
      ...lines.slice(insertLine, insertLine + SNIPPET_LINES),
    ].join("\n");
    await this.write(updated, original.format);
    this.remember(original);
    return (
      `The file ${this.path} has been edited. ` +
      catN(snippet, "a snippet of the edited file", Math.max(1, insertLine - SNIPPET_LINES + 1)) +
      "Review the changes and make sure they are as expected (correct indentation, no duplicate lines, etc). Edit the file again if necessary."
    );
  }

  private async undo(): Promise<string> {
    const entry = this.history.get(this.path.toString())?.pop();
    if (!entry) throw this.refuse(`No edit history found for ${this.path}.`, 18);
    await this.writeBytes(entry.bytes);
    return `Last edit to ${this.path} undone successfully. ${catN(entry.text, this.path.toString())}`;
  }

  private remember(entry: HistoryEntry): void {
    const key = this.path.toString();
    const stack = this.history.get(key) ?? [];
    stack.push(entry);
    this.history.set(key, stack);
  }

  private async read(): Promise<{ text: string; format: FileFormat; bytes: Buffer }> {
    let bytes: Buffer;
    try {
      bytes = await this.sandbox.readFile(this.probe.target);
    } catch (error) {
      throw this.refuse(`Ran into ${(error as Error).message} while trying to read ${this.path}`, 19);
    }
    return { ...decodeFileText(bytes), bytes };
  }

  /** Encodes and writes `text`; returns the bytes written. */
  private async write(text: string, format: FileFormat): Promise<Buffer> {
    let bytes: Buffer;
    try {
      bytes = encodeFileText(text, format);
    } catch (error) {
      if (error instanceof UnencodableTextError) throw this.refuse(`Ran into ${error.message} while trying to write to ${this.path}`, 20);
      throw error;
    }
    await this.writeBytes(bytes);
    return bytes;
  }

  private async writeBytes(bytes: Buffer): Promise<void> {
    try {
      await writeSandboxFile(this.sandbox, this.probe.target, bytes);
    } catch (error) {
      if (error instanceof FileWriteError) throw this.refuse(`Ran into ${error.message} while trying to write to ${this.path}`, 20);
      throw error;
    }
  }
}
