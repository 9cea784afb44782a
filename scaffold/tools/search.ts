import { z } from "zod";
import type { Tool, ToolContext, ToolResult } from "./tool.ts";
import { shellWorkingDirectory, withArgs } from "./sandbox-fs.ts";

/**
 * SWE-agent's search bundle (tools/search): `find_file`, `search_dir`, `search_file`. SWE-agent
 * runs them as bash scripts in the agent's shell; here the host runs `find`/`grep` in the
 * sandbox from the shell's working directory and writes the same report. As there, whatever
 * find/grep print on stderr comes first, and each line ends with the newline `echo` adds.
 *
 * `search_file` keeps SWE-agent's "More than N lines matched" check as it really behaves: it
 * counts distinct file names rather than lines, so it never fires and every match is listed.
 */

const MAX_FILES = 100;

const DIR_DESCRIPTION = "the directory to search (default: the current directory)";

export const FindFileArgs = z.strictObject({
  file_name: z.string().describe("the file name, or a shell-style pattern such as *.py, to look for"),
  dir: z.string().optional().describe(DIR_DESCRIPTION),
});
export type FindFileArgs = z.infer<typeof FindFileArgs>;

export const SearchDirArgs = z.strictObject({
  search_term: z.string().describe("the text to look for"),
  dir: z.string().optional().describe(DIR_DESCRIPTION),
});
export type SearchDirArgs = z.infer<typeof SearchDirArgs>;

export const SearchFileArgs = z.strictObject({
  search_term: z.string().describe("the text to look for"),
  file: z.string().optional().describe("the file to search (default: the file currently open)"),
});
export type SearchFileArgs = z.infer<typeof SearchFileArgs>;

/** Output of one search command run in the sandbox: its stderr, and its stdout as `$(…)` keeps it. */
interface Captured {
  exitCode: number | null;
  stderr: string;
  stdout: string;
}

/**
 * Runs `pipeline` from `cwd` with stdout captured the way `local x=$(…)` does (trailing newlines
 * dropped) and stderr kept apart, to be shown first as it is in SWE-agent's terminal.
 */
async function capture(context: ToolContext, cwd: string, pipeline: string, args: string[]): Promise<Captured> {
  const script = `e=$(mktemp) || exit 97; out=$({ ${pipeline}; } 2>"$e"); cat "$e"; rm -f "$e"; printf '\\0%s' "$out"`;
  const result = await context.sandbox.exec(withArgs(script, ...args), { cwd, timeoutMs: 300_000 });
  const split = result.output.lastIndexOf("\0");
  if (split === -1) return { exitCode: result.exitCode, stderr: result.output, stdout: "" };
  return { exitCode: result.exitCode, stderr: result.output.slice(0, split), stdout: result.output.slice(split + 1) };
}

/**
 * `[ -d "$dir" ] && realpath "$dir"` from the shell's directory: the absolute directory to search,
 * or undefined when `dir` is not a directory. No `dir` means the shell's directory itself.
 */
async function resolveDirectory(context: ToolContext, cwd: string, dir: string | undefined): Promise<string | undefined> {
  const result = await context.sandbox.exec(withArgs(`[ -d "$1" ] && realpath -- "$1"`, dir ?? "./"), { cwd, timeoutMs: 30_000 });
  return result.exitCode === 0 ? result.output.replace(/\n+$/, "") : undefined;
}

async function workingDirectoryFor(context: ToolContext, path: string | undefined): Promise<string> {
  return path?.startsWith("/") ? "/" : shellWorkingDirectory(context);
}

function lines(text: string): string[] {
  return text === "" ? [] : text.split("\n");
}

function report(...parts: string[]): ToolResult {
  return { output: parts.map((line) => `${line}\n`).join("") };
}

export function createFindFileTool(): Tool<FindFileArgs> {
  return {
    name: "find_file",
    description: "lists the files under dir whose name matches the given name or pattern; dir defaults to the current directory",
    schema: FindFileArgs,
    async run({ file_name, dir }, context) {
      const cwd = await workingDirectoryFor(context, dir);
      const root = await resolveDirectory(context, cwd, dir);
      if (root === undefined) return { ...report(`Directory ${dir} not found`), isError: true };
      const found = await capture(context, cwd, `find "$1" -type f -name "$2"`, [root, file_name]);
      const prefix = found.stderr;
      if (found.stdout === "") return { output: prefix + report(`No matches found for "${file_name}" in ${root}`).output };
      const matches = lines(found.stdout);
      return { output: prefix + report(`Found ${matches.length} matches for "${file_name}" in ${root}:`, ...matches).output };
    },
  };
}

export function createSearchDirTool(): Tool<SearchDirArgs> {
  return {
    name: "search_dir",
    description: "looks for search_term in every file under dir; dir defaults to the current directory",
    schema: SearchDirArgs,
    async run({ search_term, dir }, context) {
      const cwd = await workingDirectoryFor(context, dir);
      const root = await resolveDirectory(context, cwd, dir);
      if (root === undefined) return { ...report(`Directory ${dir} not found`), isError: true };
      // Hidden paths are skipped and binary files ignored (-I); counting is left to sort/uniq
      // in the sandbox so file order follows its locale, as in SWE-agent.
      const pipeline = `find "$1" -type f ! -path '*/.*' -exec grep -nIH -- "$2" {} + | cut -d: -f1 | sort | uniq -c`;
      const found = await capture(context, cwd, pipeline, [root, search_term]);
      const prefix = found.stderr;
      if (found.stdout === "") return { output: prefix + report(`No matches found for "${search_term}" in ${root}`).output };
      // `uniq -c` lines: a count, then the file name, of which SWE-agent's awk keeps the first word.
      const files = lines(found.stdout).map((line) => {
        const [count = "0", file = ""] = line.trim().split(/\s+/);
        return { count: Number(count), file };
      });
      if (files.length > MAX_FILES) {
        return {
          output:
            prefix + report(`More than ${files.length} files matched for "${search_term}" in ${root}. Please narrow your search.`).output,
        };
      }
      const total = files.reduce((sum, f) => sum + f.count, 0);
      return {
        output:
          prefix +
          report(
            `Found ${total} matches for "${search_term}" in ${root}:`,
            ...files.map((f) => `${f.file} (${f.count} matches)`),
            `End of matches for "${search_term}" in ${root}`,
          ).output,
      };
    },
  };
}

export function createSearchFileTool(): Tool<SearchFileArgs> {
  return {
    name: "search_file",
    description: "looks for search_term in a file; file defaults to the file currently open",
    schema: SearchFileArgs,
    async run({ search_term, file }, context) {
      const usage = "Usage: search_file <search_term> [<file>]";
      if (search_term === "") return { ...report(usage), isError: true };
      // SWE-agent falls back to the windowed editor's open file; str_replace_editor never opens
      // one, so with that editor this is what the model always got.
      if (file === undefined) return { ...report("No file open. Use the open command first."), isError: true };
      const cwd = await workingDirectoryFor(context, file);
      const check = await context.sandbox.exec(withArgs(`[ -f "$1" ] && realpath -- "$1"`, file), { cwd, timeoutMs: 30_000 });
      if (check.exitCode !== 0) {
        return { ...report(usage, `Error: File name ${file} not found. Please provide a valid file name.`), isError: true };
      }
      const path = check.output.replace(/\n+$/, "");
      const found = await capture(context, cwd, `grep -n -- "$2" "$1"`, [path, search_term]);
      const prefix = found.stderr;
      if (found.stdout === "") return { output: prefix + report(`No matches found for "${search_term}" in ${path}`).output };
      const matches = lines(found.stdout).map((line) => {
        const colon = line.indexOf(":");
        return { number: line.slice(0, colon), text: line.slice(colon + 1) };
      });
      return {
        output:
          prefix +
          report(
            `Found ${matches.length} matches for "${search_term}" in ${path}:`,
            ...matches.map((m) => `Line ${m.number}:${m.text}`),
            `End of matches for "${search_term}" in ${path}`,
          ).output,
      };
    },
  };
}

/** The whole bundle, in SWE-agent's order. */
export function createSearchTools(): [Tool<FindFileArgs>, Tool<SearchDirArgs>, Tool<SearchFileArgs>] {
  return [createFindFileTool(), createSearchDirTool(), createSearchFileTool()];
}
