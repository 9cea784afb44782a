/**
 * Keeps the first `headBytes` and the last `tailBytes` of a byte stream and counts the rest,
 * so a command that prints gigabytes costs a bounded amount of memory.
 */
export class OutputCollector {
  private readonly head: Buffer[] = [];
  private headSize = 0;
  private tail: Buffer[] = [];
  private tailSize = 0;
  total = 0;

  constructor(
    private readonly headBytes: number,
    private readonly tailBytes: number,
  ) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.headSize < this.headBytes) {
      const take = Math.min(chunk.length, this.headBytes - this.headSize);
      this.head.push(chunk.subarray(0, take));
      this.headSize += take;
      chunk = chunk.subarray(take);
      if (chunk.length === 0) return;
    }
    if (this.tailBytes === 0) return;
    // Copy: the source buffer may be a slice of a large read we must not retain.
    this.tail.push(Buffer.from(chunk));
    this.tailSize += chunk.length;
    while (this.tailSize - this.tail[0]!.length >= this.tailBytes) {
      this.tailSize -= this.tail.shift()!.length;
    }
  }

  get truncated(): boolean {
    return this.total > this.headSize + Math.min(this.tailSize, this.tailBytes);
  }

  /** Head and tail; when bytes were dropped between them, a one-line notice marks the gap. */
  bytes(): Buffer {
    let tail = Buffer.concat(this.tail);
    if (tail.length > this.tailBytes) tail = tail.subarray(tail.length - this.tailBytes);
    const dropped = this.total - this.headSize - tail.length;
    if (dropped <= 0) return Buffer.concat([...this.head, tail]);
    const notice = Buffer.from(`\n[bottega: ${dropped} bytes of output omitted]\n`);
    return Buffer.concat([...this.head, notice, tail]);
  }
}
