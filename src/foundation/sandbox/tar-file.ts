import { Readable } from "node:stream";
import { extract, pack } from "tar-stream";

/** A tar archive holding one regular file at `name` (relative path). */
export function packSingleFile(name: string, content: Buffer, mode: number): Readable {
  const archive = pack();
  // Not awaited: the entry's callback fires only once the consumer has read it, and the
  // consumer gets the stream only when we return.
  archive.entry({ name, mode, size: content.length, mtime: new Date() }, content);
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

/**
 * A tar archive of a host folder's regular files, under `prefix` (relative path, no leading
 * slash). Modes are normalised to 0644/0755 so archives are the same on every machine.
 */
export async function packDirectory(root: string, prefix: string): Promise<Readable> {
  const { readdir, readFile, stat } = await import("node:fs/promises");
  const { join, posix } = await import("node:path");
  const archive = pack();
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      const full = join(dir, entry.name);
      const name = posix.join(prefix, rel, entry.name);
      if (entry.isDirectory()) {
        archive.entry({ name: `${name}/`, type: "directory", mode: 0o755 });
        await walk(full, posix.join(rel, entry.name));
      } else if (entry.isFile()) {
        const content = await readFile(full);
        const executable = ((await stat(full)).mode & 0o111) !== 0;
        archive.entry({ name, mode: executable ? 0o755 : 0o644, size: content.length }, content);
      }
    }
  };
  await walk(root, "");
  archive.finalize();
  return archive as unknown as Readable;
}
