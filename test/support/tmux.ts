import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";

/**
 * A real pseudo-terminal: a detached tmux session of a fixed size running one command. The
 * test reads the screen as the user sees it and sends keys as the user types them.
 */
export class TmuxTerminal {
  readonly name = `bottega-test-${randomBytes(4).toString("hex")}`;

  constructor(command: string, options: { columns?: number; rows?: number; cwd?: string } = {}) {
    execFileSync("tmux", [
      "new-session",
      "-d",
      "-s",
      this.name,
      "-x",
      String(options.columns ?? 80),
      "-y",
      String(options.rows ?? 24),
      "-c",
      options.cwd ?? process.cwd(),
      command,
    ]);
    // Keep the pane after the command exits, so its last screen can still be read.
    execFileSync("tmux", ["set-option", "-t", this.name, "remain-on-exit", "on"]);
  }

  /** The visible screen, one string per row. */
  screen(): string {
    return execFileSync("tmux", ["capture-pane", "-p", "-t", this.name], { encoding: "utf8" });
  }

  /** The screen and its scrollback. */
  history(): string {
    return execFileSync("tmux", ["capture-pane", "-p", "-S", "-", "-t", this.name], { encoding: "utf8" });
  }

  async waitFor(what: string | RegExp, timeoutMs = 60_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (typeof what === "string" ? screen.includes(what) : what.test(screen)) return screen;
      if (Date.now() > end) throw new Error(`the terminal never showed ${String(what)}; the screen:\n${screen}`);
      await delay(100);
    }
  }

  /** Keys by tmux name (Enter, Escape, C-c, BTab) or literal text with -l. */
  keys(...keys: string[]): void {
    execFileSync("tmux", ["send-keys", "-t", this.name, ...keys]);
  }

  type(text: string): void {
    execFileSync("tmux", ["send-keys", "-t", this.name, "-l", text]);
  }

  /** The size of the window, as a user dragging it would change it. */
  resize(columns: number, rows: number): void {
    execFileSync("tmux", ["resize-window", "-t", this.name, "-x", String(columns), "-y", String(rows)]);
  }

  kill(): void {
    try {
      execFileSync("tmux", ["kill-session", "-t", this.name]);
    } catch {
      // already gone
    }
  }
}
