import { appendFileSync } from "node:fs";

/** Python logging's default asctime: "2025-09-11 14:03:07,512", local time. */
function asctime(date: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())},${pad(date.getMilliseconds(), 3)}`
  );
}

/**
 * run_instance.log, in the official harness's format ("%(asctime)s - %(levelname)s - %(message)s"),
 * appended line by line so a crash leaves everything written so far.
 */
export class InstanceLog {
  constructor(readonly path: string) {}

  info(message: string): void {
    this.write("INFO", message);
  }

  error(message: string): void {
    this.write("ERROR", message);
  }

  private write(level: string, message: string): void {
    appendFileSync(this.path, `${asctime(new Date())} - ${level} - ${message}\n`);
  }
}
