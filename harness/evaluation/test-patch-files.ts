/**
 * The files a test patch touches, seen the way the official harness sees them: it parses the
 * patch with Python's `unidiff` (`PatchSet`) and reads each file's source/target path. We mirror
 * the parts of unidiff's file-header state machine that decide those paths, and we walk hunks
 * by their line counts so that diff-looking lines inside a hunk are never taken for headers.
 */

const DEV_NULL = "/dev/null";

// Same character classes as unidiff's regexes (a path runs to a tab or newline; `\r` is kept).
const GIT_HEADER = /^diff --git ("?a\/[^\t\n]+"?) ("?b\/[^\t\n]+"?)/;
const GIT_HEADER_URI_LIKE = /^diff --git (.*:\/\/[^\t\n]+) (.*:\/\/[^\t\n]+)/;
const GIT_HEADER_NO_PREFIX = /^diff --git ([^\t\n]+) ([^\t\n]+)/;
const NEW_FILE = /^new file mode \d+$/;
const DELETED_FILE = /^deleted file mode \d+$/;
const SOURCE_HEADER = /^--- ([^\t\n]+)(?:\t[^\n]+)?/;
const TARGET_HEADER = /^\+\+\+ ([^\t\n]+)(?:\t[^\n]+)?/;
const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;
const HUNK_BODY_LINE = /^[- +\\]/;
const NO_NEWLINE_MARKER = /^\\ No newline at end of file/;
const BINARY_DIFF = /^Binary files? ([^\t]+?)(?:\t[\s0-9:+-]+)?(?: and ([^\t]+?)(?:\t[\s0-9:+-]+)?)? (?:differ|has changed)/;

/** One file entry of a patch, with unidiff's `source_file` / `target_file` values. */
export interface PatchedFile {
  source: string;
  target: string;
}

/** The test patch could not be parsed (the official harness would crash on it too). */
export class PatchParseError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`test patch, line ${line}: ${reason}`);
    this.name = "PatchParseError";
  }
}

/** Lines as Python's StringIO yields them: split after each `\n`, the `\n` kept. */
function pythonLines(text: string): string[] {
  const lines = text.split(/(?<=\n)/);
  return lines.length === 1 && lines[0] === "" ? [] : lines;
}

/** `$` in Python matches before a final newline; strip it so our anchored regexes agree. */
function withoutNewline(line: string): string {
  return line.endsWith("\n") ? line.slice(0, -1) : line;
}

export function parsePatchFiles(patch: string): PatchedFile[] {
  const files: PatchedFile[] = [];
  const lines = pythonLines(patch);
  let current: PatchedFile | undefined;
  let inFileInfo = false;
  let pendingSource: string | undefined;

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = withoutNewline(raw);

    const git = GIT_HEADER.exec(line) ?? GIT_HEADER_URI_LIKE.exec(line) ?? GIT_HEADER_NO_PREFIX.exec(line);
    if (git) {
      current = { source: git[1]!, target: git[2]! };
      pendingSource = current.source;
      files.push(current);
      inFileInfo = true;
      continue;
    }
    if (NEW_FILE.test(line) || DELETED_FILE.test(line)) {
      if (!current || !inFileInfo) throw new PatchParseError(i + 1, `unexpected "${line}"`);
      if (NEW_FILE.test(line)) current.source = DEV_NULL;
      else current.target = DEV_NULL;
      continue;
    }
    const source = SOURCE_HEADER.exec(line);
    if (source) {
      pendingSource = source[1]!;
      // A `---` that disagrees with the git header starts a new, header-less file entry.
      if (current && current.source !== pendingSource) current = undefined;
      continue;
    }
    const target = TARGET_HEADER.exec(line);
    if (target) {
      if (current && current.target !== target[1]) {
        throw new PatchParseError(i + 1, `target without source: "${line}"`);
      }
      if (!current) {
        if (pendingSource === undefined) throw new PatchParseError(i + 1, `target without source: "${line}"`);
        current = { source: pendingSource, target: target[1]! };
        files.push(current);
        inFileInfo = false;
      }
      continue;
    }
    const hunk = HUNK_HEADER.exec(line);
    if (hunk) {
      if (!current) throw new PatchParseError(i + 1, `hunk outside any file: "${line}"`);
      inFileInfo = false;
      i = skipHunkBody(lines, i, hunk);
      continue;
    }
    if (NO_NEWLINE_MARKER.test(line)) {
      if (!current) throw new PatchParseError(i + 1, `unexpected "${line}"`);
      continue;
    }
    if (raw === "\n" && current) continue;
    // Anything else is free text between files ("index …", "similarity index …", a mail header).
    if (!inFileInfo) {
      current = undefined;
      inFileInfo = true;
    }
    const binary = BINARY_DIFF.exec(line);
    if (binary || line === "GIT binary patch") {
      // A binary diff outside a git header is a file entry of its own.
      if (binary && !current) files.push({ source: binary[1]!, target: binary[2] ?? "" });
      current = undefined;
      inFileInfo = false;
    }
  }
  return files;
}

/** Consumes a hunk's body by its header counts; returns the index of its last line. */
function skipHunkBody(lines: string[], headerIndex: number, header: RegExpExecArray): number {
  const sourceLength = header[2] === undefined ? 1 : Number(header[2]);
  const targetLength = header[4] === undefined ? 1 : Number(header[4]);
  let source = 0;
  let target = 0;
  let i = headerIndex;
  // unidiff reads at least one body line, then stops as soon as both counts are met.
  while (i + 1 < lines.length) {
    i++;
    const raw = lines[i]!;
    const kind = HUNK_BODY_LINE.test(raw) ? raw[0] : raw === "\n" || raw === "\r\n" || raw === "\r" ? " " : undefined;
    if (kind === undefined) throw new PatchParseError(i + 1, `hunk line expected: "${withoutNewline(raw)}"`);
    if (kind === "+") target++;
    else if (kind === "-") source++;
    else if (kind === " ") {
      source++;
      target++;
    }
    if (source > sourceLength || target > targetLength) throw new PatchParseError(i + 1, "hunk is longer than its header says");
    if (source === sourceLength && target === targetLength) return i;
  }
  throw new PatchParseError(i + 1, "hunk is shorter than its header says");
}

/** What the eval script resets: files the test patch modifies or deletes, and files it creates. */
export interface TestPatchFiles {
  /** Source paths (minus `a/`) of entries whose source is not /dev/null: `get_modified_files`. */
  modified: string[];
  /** Target paths (minus `b/`) of entries whose source is /dev/null: `get_new_files` (#539). */
  created: string[];
}

export function testPatchFiles(patch: string): TestPatchFiles {
  const files = parsePatchFiles(patch);
  return {
    modified: files.filter((f) => f.source !== DEV_NULL && f.source.startsWith("a/")).map((f) => f.source.slice(2)),
    created: files.filter((f) => f.source === DEV_NULL).map((f) => (f.target.startsWith("b/") ? f.target.slice(2) : f.target)),
  };
}
