import { appendFile, mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * Appends one record as one whole line in a single write, so a crash can at worst leave a
 * final line without its newline, which readJsonl drops.
 */
export async function appendJsonl(path: string, record: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await appendFile(path, `${JSON.stringify(record)}\n`);
}

/** The complete lines of a JSONL file ([] when it does not exist); a torn last line is ignored. */
export async function readJsonl(path: string): Promise<unknown[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return [];
    throw error;
  }
  const lines = text.split("\n");
  lines.pop(); // after the last newline: empty, or a line cut short by a crash
  return lines.filter((line) => line.trim() !== "").map((line) => JSON.parse(line) as unknown);
}
