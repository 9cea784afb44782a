import type { Readable } from "node:stream";

/**
 * Splits Docker's multiplexed attach stream (8-byte frame headers: stream type, 3 zero bytes,
 * big-endian payload size) into payloads, in arrival order, stdout and stderr alike, the way
 * the official harness's combined exec output is built.
 */
export function demuxDockerStream(stream: Readable, onPayload: (chunk: Buffer) => void): Promise<void> {
  let pending: Buffer = Buffer.alloc(0);
  let frameLeft = 0;
  return new Promise((resolve, reject) => {
    stream.on("data", (data: Buffer) => {
      let chunk = pending.length > 0 ? Buffer.concat([pending, data]) : data;
      pending = Buffer.alloc(0);
      while (chunk.length > 0) {
        if (frameLeft > 0) {
          const take = Math.min(frameLeft, chunk.length);
          onPayload(chunk.subarray(0, take));
          frameLeft -= take;
          chunk = chunk.subarray(take);
          continue;
        }
        if (chunk.length < 8) {
          pending = Buffer.from(chunk);
          break;
        }
        frameLeft = chunk.readUInt32BE(4);
        chunk = chunk.subarray(8);
      }
    });
    stream.on("end", () => resolve());
    stream.on("close", () => resolve());
    stream.on("error", reject);
  });
}
