/**
 * File bytes as SWE-agent's editor sees them. It opens files in Python text mode: UTF-8 first,
 * Latin-1 when that fails (Latin-1 decodes any byte, so its last resort, UTF-8 with replacement,
 * is never reached), with universal newlines ("\r\n" and a lone "\r" read as "\n"). It writes
 * back in the encoding it read with.
 *
 * One deliberate difference: SWE-agent writes "\n" everywhere, so one edit to a CRLF file
 * rewrites every line of it in the patch. When a file used "\r\n" for every line break we write
 * "\r\n" back. The model sees the same text either way.
 */
export type TextEncoding = "utf-8" | "latin-1";

export interface FileFormat {
  encoding: TextEncoding;
  newline: "\n" | "\r\n";
}

export interface DecodedFile {
  text: string;
  format: FileFormat;
}

/** New files are UTF-8 with "\n", as Python writes them here. */
export const NEW_FILE_FORMAT: FileFormat = { encoding: "utf-8", newline: "\n" };

// ignoreBOM keeps a UTF-8 BOM as U+FEFF, as Python's "utf-8" codec does.
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function decodeFileText(bytes: Buffer): DecodedFile {
  let raw: string;
  let encoding: TextEncoding;
  try {
    raw = strictUtf8.decode(bytes);
    encoding = "utf-8";
  } catch {
    raw = bytes.toString("latin1");
    encoding = "latin-1";
  }
  const crlf = (raw.match(/\r\n/g) ?? []).length;
  const anyBreak = (raw.match(/\r\n|\r|\n/g) ?? []).length;
  const newline = crlf > 0 && crlf === anyBreak ? "\r\n" : "\n";
  return { text: raw.replace(/\r\n?/g, "\n"), format: { encoding, newline } };
}

/** Text that cannot be written in the file's encoding; the message is Python's. */
export class UnencodableTextError extends Error {
  constructor(
    message: string,
    readonly encoding: TextEncoding,
    readonly position: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export function encodeFileText(text: string, format: FileFormat): Buffer {
  const out = format.newline === "\r\n" ? text.replace(/\n/g, "\r\n") : text;
  if (format.encoding === "utf-8") return Buffer.from(out, "utf8");
  assertLatin1(out);
  return Buffer.from(out, "latin1");
}

/** Throws with the message Python's `UnicodeEncodeError` prints for the first bad run. */
function assertLatin1(text: string): void {
  const points = Array.from(text);
  const start = points.findIndex((ch) => ch.codePointAt(0)! > 0xff);
  if (start === -1) return;
  let end = start + 1;
  while (end < points.length && points[end]!.codePointAt(0)! > 0xff) end++;
  const what =
    end - start === 1
      ? `character '${pyEscape(points[start]!.codePointAt(0)!)}' in position ${start}`
      : `characters in position ${start}-${end - 1}`;
  throw new UnencodableTextError(`'latin-1' codec can't encode ${what}: ordinal not in range(256)`, "latin-1", start);
}

function pyEscape(code: number): string {
  const hex = code.toString(16);
  return code <= 0xffff ? `\\u${hex.padStart(4, "0")}` : `\\U${hex.padStart(8, "0")}`;
}
