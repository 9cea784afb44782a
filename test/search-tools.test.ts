import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDocker } from "../src/foundation/sandbox/docker/docker-engine.ts";
import { DockerSandbox } from "../src/foundation/sandbox/docker/docker-sandbox.ts";
import { BASE_IMAGE } from "../src/foundation/sandbox/docker/base-image.ts";
import type { ToolContext } from "../scaffold/tools/tool.ts";
import {
  createFindFileTool,
  createSearchDirTool,
  createSearchFileTool,
  FindFileArgs,
  SearchDirArgs,
  SearchFileArgs,
} from "../scaffold/tools/search.ts";

// Expected observations follow SWE-agent's tools/search/bin scripts: one `echo` per line.

let box: DockerSandbox;
let context: ToolContext;
/** Where the agent's shell is; the tools resolve relative paths from it. */
let shellCwd = "/testbed";

beforeAll(async () => {
  const docker = await connectDocker();
  box = await DockerSandbox.create(docker, { image: BASE_IMAGE, network: "none", labels: { "bottega.run": "test-search" } });
  context = {
    sandbox: box,
    repoRoot: "/testbed",
    shell: async (command, options) => {
      const result = await box.exec(command, { cwd: shellCwd, timeoutMs: options?.timeoutMs });
      return { output: result.output, exitCode: result.exitCode, timedOut: result.timedOut };
    },
  };
  await box.writeFile("/testbed/pkg/a.py", "import os\ndef foo():\n    return os.path\n\tfoo()  # foo again\n");
  await box.writeFile("/testbed/pkg/sub/b.py", "foo = 1\nbar\nfoo(bar)\n");
  await box.writeFile("/testbed/pkg/README.md", "nothing to see\n");
  await box.writeFile("/testbed/.hidden/c.py", "foo\n");
  await box.writeFile("/testbed/pkg/blob.bin", Buffer.from("foo\0binary\n"));
  await box.exec(
    "mkdir -p /testbed/many && for i in $(seq 1 120); do echo needle > /testbed/many/f$i.txt; done && " +
      'for i in $(seq 1 150); do echo "hay $i needle"; done > /testbed/pkg/big.txt',
  );
});

afterAll(async () => {
  await box?.remove();
});

const findFile = (args: Record<string, unknown>) => createFindFileTool().run(FindFileArgs.parse(args), context);
const searchDir = (args: Record<string, unknown>) => createSearchDirTool().run(SearchDirArgs.parse(args), context);
const searchFile = (args: Record<string, unknown>) => createSearchFileTool().run(SearchFileArgs.parse(args), context);

/** The listing after a header line, sorted: find's order depends on the filesystem. */
function listed(output: string): string[] {
  return output.trimEnd().split("\n").slice(1).sort();
}

describe("find_file", () => {
  it("finds files by wildcard from the shell's directory, hidden ones included", async () => {
    const result = await findFile({ file_name: "*.py" });
    expect(result.output.startsWith('Found 3 matches for "*.py" in /testbed:\n')).toBe(true);
    expect(listed(result.output)).toEqual(["/testbed/.hidden/c.py", "/testbed/pkg/a.py", "/testbed/pkg/sub/b.py"]);
    expect(result.output.endsWith(".py\n")).toBe(true);
  });

  it("searches a given directory, relative or absolute, named by its real path", async () => {
    const relative = await findFile({ file_name: "b.py", dir: "pkg/" });
    expect(relative.output).toBe('Found 1 matches for "b.py" in /testbed/pkg:\n/testbed/pkg/sub/b.py\n');
    const absolute = await findFile({ file_name: "a.py", dir: "/testbed/pkg/sub/.." });
    expect(absolute.output).toBe('Found 1 matches for "a.py" in /testbed/pkg:\n/testbed/pkg/a.py\n');
  });

  it("follows the shell into another directory", async () => {
    shellCwd = "/testbed/pkg/sub";
    try {
      expect((await findFile({ file_name: "*.py" })).output).toBe(
        'Found 1 matches for "*.py" in /testbed/pkg/sub:\n/testbed/pkg/sub/b.py\n',
      );
    } finally {
      shellCwd = "/testbed";
    }
  });

  it("reports no match and a missing directory", async () => {
    expect((await findFile({ file_name: "nothing.py" })).output).toBe('No matches found for "nothing.py" in /testbed\n');
    const missing = await findFile({ file_name: "a.py", dir: "nodir" });
    expect(missing.output).toBe("Directory nodir not found\n");
    expect(missing.isError).toBe(true);
  });
});

describe("search_dir", () => {
  it("counts matches per file, sorted, skipping hidden and binary files", async () => {
    const result = await searchDir({ search_term: "foo" });
    expect(result.output).toBe(
      // grep counts matching lines: "foo" is twice on line 4 of a.py but counts once.
      'Found 4 matches for "foo" in /testbed:\n' +
        "/testbed/pkg/a.py (2 matches)\n" +
        "/testbed/pkg/sub/b.py (2 matches)\n" +
        'End of matches for "foo" in /testbed\n',
    );
  });

  it("searches a given directory and treats the term as a grep pattern", async () => {
    expect((await searchDir({ search_term: "fo*(", dir: "pkg" })).output).toBe(
      'Found 3 matches for "fo*(" in /testbed/pkg:\n/testbed/pkg/a.py (2 matches)\n/testbed/pkg/sub/b.py (1 matches)\nEnd of matches for "fo*(" in /testbed/pkg\n',
    );
  });

  it("refuses more than 100 matching files", async () => {
    const result = await searchDir({ search_term: "needle" });
    // 120 files in many/ and pkg/big.txt.
    expect(result.output).toBe('More than 121 files matched for "needle" in /testbed. Please narrow your search.\n');
  });

  it("reports no match, a missing directory, and grep's own complaint first", async () => {
    expect((await searchDir({ search_term: "zzz" })).output).toBe('No matches found for "zzz" in /testbed\n');
    expect((await searchDir({ search_term: "foo", dir: "/nope" })).output).toBe("Directory /nope not found\n");
    const bad = await searchDir({ search_term: "[", dir: "/testbed/pkg/sub" });
    expect(bad.output).toMatch(/^grep: .*\nNo matches found for "\[" in \/testbed\/pkg\/sub\n$/);
  });
});

describe("search_file", () => {
  it("lists each matching line with its number", async () => {
    expect((await searchFile({ search_term: "foo", file: "pkg/a.py" })).output).toBe(
      'Found 2 matches for "foo" in /testbed/pkg/a.py:\nLine 2:def foo():\nLine 4:\tfoo()  # foo again\nEnd of matches for "foo" in /testbed/pkg/a.py\n',
    );
  });

  it("lists every line even past 100, as SWE-agent's line limit never fires", async () => {
    const result = await searchFile({ search_term: "needle", file: "/testbed/pkg/big.txt" });
    const lines = result.output.trimEnd().split("\n");
    expect(lines[0]).toBe('Found 150 matches for "needle" in /testbed/pkg/big.txt:');
    expect(lines[150]).toBe("Line 150:hay 150 needle");
    expect(lines[151]).toBe('End of matches for "needle" in /testbed/pkg/big.txt');
  });

  it("reports no match, a missing file, no file and an empty term", async () => {
    expect((await searchFile({ search_term: "zzz", file: "pkg/a.py" })).output).toBe('No matches found for "zzz" in /testbed/pkg/a.py\n');
    expect((await searchFile({ search_term: "foo", file: "pkg/nope.py" })).output).toBe(
      "Usage: search_file <search_term> [<file>]\nError: File name pkg/nope.py not found. Please provide a valid file name.\n",
    );
    expect((await searchFile({ search_term: "foo", file: "pkg" })).output).toBe(
      "Usage: search_file <search_term> [<file>]\nError: File name pkg not found. Please provide a valid file name.\n",
    );
    expect((await searchFile({ search_term: "foo" })).output).toBe("No file open. Use the open command first.\n");
    expect((await searchFile({ search_term: "", file: "pkg/a.py" })).output).toBe("Usage: search_file <search_term> [<file>]\n");
  });

  it("shows grep's binary-file notice, then no match", async () => {
    expect((await searchFile({ search_term: "foo", file: "pkg/blob.bin" })).output).toBe(
      'grep: /testbed/pkg/blob.bin: binary file matches\nNo matches found for "foo" in /testbed/pkg/blob.bin\n',
    );
  });
});

describe("search tool declarations", () => {
  it("use SWE-agent's names and argument names", () => {
    expect([createFindFileTool().name, createSearchDirTool().name, createSearchFileTool().name]).toEqual([
      "find_file",
      "search_dir",
      "search_file",
    ]);
    expect(FindFileArgs.safeParse({ file_name: "*.py", dir: "/x" }).success).toBe(true);
    expect(SearchDirArgs.safeParse({ search_term: "x", path: "/x" }).success).toBe(false);
    expect(SearchFileArgs.safeParse({ file: "/x" }).success).toBe(false);
  });
});
