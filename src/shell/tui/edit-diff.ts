import { createTwoFilesPatch } from "diff";

/**
 * What an editor call would leave in the file, worked out before it runs (for approval in
 * suggest mode). Null when the call would fail (the editor then says why) or changes nothing.
 */
export function predictEdit(args: Record<string, unknown>, before: string | null): string | null {
  const text = (key: string) => (typeof args[key] === "string" ? (args[key] as string) : undefined);
  switch (args.command) {
    case "create":
      return before === null ? (text("file_text") ?? null) : null;
    case "str_replace": {
      const oldStr = text("old_str");
      if (before === null || oldStr === undefined || oldStr === "") return null;
      const at = before.indexOf(oldStr);
      if (at < 0 || before.indexOf(oldStr, at + 1) >= 0) return null;
      return before.slice(0, at) + (text("new_str") ?? "") + before.slice(at + oldStr.length);
    }
    case "insert": {
      const line = Number(args.insert_line);
      const newStr = text("new_str");
      if (before === null || newStr === undefined || !Number.isInteger(line)) return null;
      const lines = before.split("\n");
      if (line < 0 || line > lines.length) return null;
      lines.splice(line, 0, ...newStr.split("\n"));
      return lines.join("\n");
    }
    default:
      return null;
  }
}

/** A unified diff of one file (a/ and b/ paths as git shows them); empty when nothing changed. */
export function fileDiff(path: string, before: string | null, after: string | null): string {
  if (before === after) return "";
  const name = path.replace(/^\/+/, "");
  const patch = createTwoFilesPatch(
    before === null ? "/dev/null" : `a/${name}`,
    after === null ? "/dev/null" : `b/${name}`,
    before ?? "",
    after ?? "",
    "",
    "",
    { context: 3 },
  );
  // Drop the "Index:"/"====" preamble the diff package writes; keep from the --- line on.
  return patch.slice(patch.indexOf("--- "));
}
