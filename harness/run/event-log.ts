import { appendJsonl } from "../../src/foundation/store/jsonl.ts";
import type { RunEvent, RunEventInput } from "./run-events.ts";

/** events.jsonl: stamped, written by one writer in order, and shown to a listener as they happen. */
export class EventLog {
  private chain = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly listener?: (event: RunEvent) => void,
  ) {}

  emit(event: RunEventInput): void {
    const full = { ...event, t: new Date().toISOString() } as RunEvent;
    this.chain = this.chain.then(() => appendJsonl(this.path, full));
    this.listener?.(full);
  }

  /** Resolves once every event emitted so far is on disk. */
  flushed(): Promise<void> {
    return this.chain;
  }
}
