import { Readable } from "node:stream";
import { extract, pack } from "tar-stream";

/** A tar archive holding one regular file at `name` (relative path). */
export async function packSingleFile(name: string, content: Buffer, mode: number): Promise<Readable> {
  const archive = pack();
  await new Promise<void>((resolve, reject) => {
    archive.entry({ name, mode, size: content.length, mtime: new Date() }, content, (error) => (error ? reject(error) : resolve()));
  });
  archive.finalize();
  return archive as unknown as Readable;
}

/** The content of the first regular file in a tar stream, or undefined if there is none. */
export async function unpackSingleFile(archive: NodeJS.ReadableStream): Promise<Buffer | undefined> {
  const reader = extract();
  let found: Buffer | undefined;
  const done = new Promise<void>((resolve, reject) => {
    reader.on("entry", (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk) => {
        if (found === undefined && header.type === "file") chunks.push(chunk as Buffer);
      });
      stream.on("end", () => {
        if (found === undefined && header.type === "file") found = Buffer.concat(chunks);
        next();
      });
      stream.resume();
    });
    reader.on("finish", resolve);
    reader.on("error", reject);
  });
  Readable.from(archive as AsyncIterable<Buffer>).pipe(reader);
  await done;
  return found;
}
