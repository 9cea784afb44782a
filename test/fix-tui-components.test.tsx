import { setTimeout as delay } from "node:timers/promises";
import { render } from "ink-testing-library";
import { describe, expect, it } from "vitest";
import { DiffView, diffLineColour } from "../src/shell/tui/diff-view.tsx";
import { EntryView } from "../src/shell/tui/entry-view.tsx";
import { fileDiff, predictEdit } from "../src/shell/tui/edit-diff.ts";
import { FixApp } from "../src/shell/tui/fix-app.tsx";
import { FixController } from "../src/shell/tui/fix-controller.ts";
import { Footer } from "../src/shell/tui/footer.tsx";
import { LiveView } from "../src/shell/tui/live-view.tsx";
import { wordWrap } from "../src/shell/tui/text-rows.ts";
import { themeFor } from "../src/shell/tui/theme.ts";
import { ReplaySession, type ReplayStep } from "./support/replay-session.ts";

const theme = themeFor({});
const frame = (app: ReturnType<typeof render>) => app.lastFrame() ?? "";
const until = async (check: () => boolean, what: string, ms = 3000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(10);
  }
};

const EDIT: ReplayStep = {
  thought: "The loop should not recurse.",
  tool: "str_replace_editor",
  args: {
    command: "str_replace",
    path: "/testbed/calc/parser.py",
    old_str: "return BinOp(op, left, self.expr())",
    new_str: "node = BinOp(op, node, self.term())",
  },
  output: "The file /testbed/calc/parser.py has been edited.",
  writes: { path: "/testbed/calc/parser.py", content: "x = 1\nnode = BinOp(op, node, self.term())\n" },
};
const COMMAND: ReplayStep = { thought: "Run the tests.", tool: "bash", args: { command: "pytest -q" }, output: "3 passed" };

describe("fix TUI components", () => {
  it("colours diffs by line type, and not at all under NO_COLOR", () => {
    expect(diffLineColour("+added", theme)).toBe("green");
    expect(diffLineColour("-removed", theme)).toBe("red");
    expect(diffLineColour("@@ -1 +1 @@", theme)).toBe("cyan");
    expect(diffLineColour("+++ b/x", theme)).toBeUndefined();
    const plain = themeFor({ NO_COLOR: "1" });
    expect(diffLineColour("+added", plain)).toBeUndefined();
    expect(themeFor({ NO_COLOR: "" })).toEqual(theme); // an empty NO_COLOR does not count

    const diff = fileDiff("calc/x.py", "a\nb\n", "a\nc\n");
    expect(diff).toContain("--- a/calc/x.py\n+++ b/calc/x.py");
    const app = render(<DiffView diff={diff} theme={theme} maxLines={5} />);
    expect(frame(app)).toContain("-b");
    expect(frame(app)).not.toContain("+c");
    expect(frame(app)).toContain("more diff lines");
    app.unmount();
  });

  it("wraps messages at spaces within the terminal's width, under the prompt's two columns", () => {
    const text = "I expected `3`, `2` and `4`, which is what Python itself gives for the same expressions. ".repeat(4).trim();
    const app = render(<EntryView entry={{ id: 1, kind: "user", text }} columns={80} theme={theme} />);
    const rows = frame(app)
      .split("\n")
      .filter((row) => row.trim() !== "");
    expect(rows.length).toBeGreaterThan(2);
    expect(rows[0]).toMatch(/^› I expected/);
    for (const row of rows.slice(1)) expect(row).toMatch(/^ {2}\S/);
    // Ink's wrapping would start a row with the separating space, one column past 80: the terminal breaks it again.
    for (const row of rows) expect(row.length).toBeLessThanOrEqual(80);
    expect(rows.join(" ").replace(/^› /, "").replace(/ {3}/g, " ")).toBe(text);
    app.unmount();
    expect(wordWrap("ab cd efghijkl", 4)).toEqual(["ab", "cd", "efgh", "ijkl"]);
    expect(wordWrap("    indented code\n\nnext", 80)).toEqual(["    indented code", "", "next"]);
  });

  it("predicts an edit before it runs: str_replace, insert, create; null when it would not apply", () => {
    expect(predictEdit({ command: "str_replace", old_str: "b", new_str: "B" }, "a\nb\n")).toBe("a\nB\n");
    expect(predictEdit({ command: "str_replace", old_str: "x", new_str: "B" }, "a\nb\n")).toBeNull();
    expect(predictEdit({ command: "str_replace", old_str: "a", new_str: "B" }, "a\na\n")).toBeNull();
    expect(predictEdit({ command: "insert", insert_line: 1, new_str: "z" }, "a\nb")).toBe("a\nz\nb");
    expect(predictEdit({ command: "create", file_text: "new" }, null)).toBe("new");
    expect(predictEdit({ command: "create", file_text: "new" }, "exists")).toBeNull();
  });

  it("folds a long observation in the scrollback and says how to expand it", () => {
    const output = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join("\n");
    const step = {
      step: 4,
      thought: "Looking.",
      response: { content: "Looking." },
      action: { tool: "bash", args: { command: "cat big" } },
      format_error: null,
      observation: output,
    };
    const app = render(<EntryView entry={{ id: 1, kind: "step", step: step as never, diff: null }} columns={100} theme={theme} />);
    const text = frame(app);
    expect(text).toContain("$ cat big");
    expect(text).toContain("line 8");
    expect(text).not.toContain("line 9\n");
    expect(text).toContain("… 22 more lines (Ctrl-O or /show 4 to expand)");
    app.unmount();
  });

  it("footer: step/limit, context used / max_model_len, tokens, elapsed, approval mode, network", () => {
    const state = {
      step: 12,
      contextTokens: 21_500,
      promptTokens: 180_000,
      completionTokens: 2_400,
      startedAt: 0,
      mode: "auto-edit" as const,
      phase: "running" as const,
    };
    const footer = (columns: number) =>
      frame(
        render(
          <Footer state={state} stepLimit={100} maxModelLen={32_768} network="none" columns={columns} theme={theme} now={() => 95_000} />,
        ),
      );
    expect(footer(100)).toContain("step 12/100 · ctx 22k/33k · tok 180k↑ 2.4k↓ · 1:35 · auto-edit · net none · running");
    // Narrower: the token counts go first, then the context; the mode, network and phase stay.
    expect(footer(80)).toBe(" step 12/100 · ctx 22k/33k · 1:35 · auto-edit · net none · running");
    expect(footer(60)).toBe(" step 12/100 · 1:35 · auto-edit · net none · running");
    expect(footer(40)).toMatch(/^ step 12\/100 · auto-edit · net none · r/);
  });

  it("the live area never draws more rows than it is given, however long the stream or the diff", () => {
    const controller = new FixController(new ReplaySession([]), "suggest", { exportHint: "" });
    const long = Array.from({ length: 200 }, (_, i) => `streamed line ${i} ${"x".repeat(150)}`).join("\n");
    for (const rows of [5, 10, 20]) {
      const streaming = render(
        <LiveView
          state={{ ...controller.state, streaming: long, running: { tool: "bash", args: { command: "make" }, since: 0 } }}
          rows={rows}
          columns={80}
          theme={theme}
        />,
      );
      expect(frame(streaming).split("\n").length).toBeLessThanOrEqual(rows);
      expect(frame(streaming)).toContain("streamed line 199");
      streaming.unmount();
      const bigDiff = fileDiff("f.py", "", Array.from({ length: 300 }, (_, i) => `l${i}`).join("\n"));
      const approval = render(
        <LiveView
          state={{
            ...controller.state,
            approval: {
              tool: "str_replace_editor",
              args: { command: "create", path: "/testbed/f.py" },
              step: 3,
              diff: bigDiff,
              askingFeedback: false,
            },
          }}
          rows={rows}
          columns={80}
          theme={theme}
        />,
      );
      expect(frame(approval).split("\n").length).toBeLessThanOrEqual(rows);
      expect(frame(approval)).toContain("[y] yes");
      approval.unmount();
    }
  });
});

describe("FixApp driven by keys (ink-testing-library)", () => {
  it("suggest: the edit's diff is shown before approval; y runs it; n takes feedback that reaches the agent", async () => {
    const session = new ReplaySession([EDIT, COMMAND]);
    session.files.set("/testbed/calc/parser.py", "x = 1\nreturn BinOp(op, left, self.expr())\n");
    const controller = new FixController(session, "suggest", { exportHint: "", streamFrameMs: 1 });
    const app = render(<FixApp controller={controller} theme={theme} network="none" />);
    await controller.submit("fix the parser");
    await until(() => frame(app).includes("[y] yes"), "the approval prompt");
    expect(frame(app)).toContain("-return BinOp(op, left, self.expr())");
    expect(frame(app)).toContain("+node = BinOp(op, node, self.term())");
    expect(frame(app)).toContain("--- a/calc/parser.py");
    app.stdin.write("y");
    await until(() => frame(app).includes("wants to run: a command"), "the second approval");
    expect(session.files.get("/testbed/calc/parser.py")).toContain("node = BinOp");
    app.stdin.write("n");
    await until(() => frame(app).includes("type feedback"), "the feedback prompt");
    app.stdin.write("run only tests/test_parser.py");
    await delay(20);
    app.stdin.write("\r");
    await until(() => controller.state.phase === "finished", "the end");
    expect(session.refusals).toEqual([
      { step: 2, observation: "The user rejected this action. Their feedback: run only tests/test_parser.py" },
    ]);
    expect(frame(app)).toContain("The user rejected this action. Their feedback: run only tests/test_parser.py");
    app.unmount();
  });

  it("Esc interrupts a long command and waits; a typed message is delivered as the next user turn", async () => {
    const session = new ReplaySession([{ ...COMMAND, args: { command: "sleep 60" }, ms: 60_000 }, COMMAND]);
    const controller = new FixController(session, "full-auto", { exportHint: "", streamFrameMs: 1 });
    const app = render(<FixApp controller={controller} theme={theme} network="none" />);
    await controller.submit("go");
    await until(() => frame(app).includes("⏵ $ sleep 60"), "the running command");
    app.stdin.write("\u001b");
    await until(() => controller.state.phase === "waiting", "the wait after Esc");
    expect(session.refusals[0]).toEqual({ step: 1, observation: "The command was interrupted by the user." });
    app.stdin.write("try a shorter command\r");
    await until(() => controller.state.phase === "finished", "the end");
    expect(session.userTurns).toEqual(["try a shorter command"]);
    app.unmount();
  });

  it("streams the model's reply into the live area as it arrives, before the action runs", async () => {
    const session = new ReplaySession([{ ...COMMAND, thought: "First I will read the parser, then the tests.", ms: 60_000 }], {
      chunk: 4,
      deltaDelayMs: 5,
    });
    const controller = new FixController(session, "full-auto", { exportHint: "", streamFrameMs: 1 });
    const app = render(<FixApp controller={controller} theme={theme} network="none" />);
    await controller.submit("go");
    await until(() => /First I will/.test(frame(app)) && !frame(app).includes("then the tests."), "a partial reply on screen");
    await until(
      () => frame(app).includes("First I will read the parser, then the tests.") && frame(app).includes("⏵ $ pytest -q"),
      "the whole reply and the command",
    );
    controller.interrupt();
    await until(() => controller.state.phase === "waiting", "the wait");
    app.unmount();
  });

  it("shift-tab and /mode switch the approval mode; a pending action the new mode allows goes ahead", async () => {
    const session = new ReplaySession([EDIT]);
    session.files.set("/testbed/calc/parser.py", "return BinOp(op, left, self.expr())\n");
    const controller = new FixController(session, "suggest", { exportHint: "", streamFrameMs: 1 });
    const app = render(<FixApp controller={controller} theme={theme} network="none" />);
    await controller.submit("fix");
    await until(() => controller.state.phase === "approval", "the approval");
    app.stdin.write("\u001b[Z"); // shift-tab: auto-edit runs edits
    await until(() => controller.state.phase === "finished", "the end");
    expect(controller.state.mode).toBe("auto-edit");
    await controller.submit("/mode full-auto");
    expect(controller.state.mode).toBe("full-auto");
    await controller.submit("/mode sideways");
    expect(frame(app)).toContain('/mode: expected suggest, auto-edit or full-auto, got "sideways"');
    app.unmount();
  });

  it("slash commands: /help, /diff (pager, Esc closes), /undo, /model, /apply, unknown", async () => {
    const session = new ReplaySession([EDIT]);
    session.files.set("/testbed/calc/parser.py", "return BinOp(op, left, self.expr())\n");
    const controller = new FixController(session, "full-auto", { exportHint: "", streamFrameMs: 1 });
    const app = render(<FixApp controller={controller} theme={theme} network="none" />);
    await controller.submit("fix");
    await until(() => controller.state.phase === "finished", "the end");
    expect(frame(app)).toContain("+node = BinOp(op, node, self.term())"); // the diff after the fact
    await controller.submit("/help");
    expect(frame(app)).toContain("/undo              revert the agent's last edit");
    app.stdin.write("\u001b");
    await until(() => !frame(app).includes("/undo              revert"), "the pager to close");
    await controller.submit("/diff");
    expect(frame(app)).toContain("the patch so far");
    controller.interrupt();
    await controller.submit("/undo");
    expect(session.files.get("/testbed/calc/parser.py")).toBe("return BinOp(op, left, self.expr())\n");
    expect(frame(app)).toContain("reverted the last edit of /testbed/calc/parser.py");
    await controller.submit("/undo");
    expect(frame(app)).toContain("/undo: no edit of the agent's to revert");
    await controller.submit("/model");
    expect(frame(app)).toContain("model replay-model at http://127.0.0.1:1/v1 · max_model_len 32768");
    await controller.submit("/apply");
    expect(session.applied).toBe(1);
    await controller.submit("/frobnicate");
    expect(frame(app)).toContain("unknown command /frobnicate");
    // The model hears about the undo in its next turn.
    expect(controller.state.queued[0]).toContain("I reverted your last edit to /testbed/calc/parser.py");
    app.unmount();
  });

  it("a second Ctrl-C quits with 130", async () => {
    const controller = new FixController(new ReplaySession([]), "suggest", { exportHint: "" });
    const app = render(<FixApp controller={controller} theme={theme} network="none" />);
    app.stdin.write("\u0003");
    await until(() => frame(app).includes("press Ctrl-C again to quit"), "the first Ctrl-C");
    app.stdin.write("\u0003");
    expect(await controller.done).toBe(130);
    app.unmount();
  });
});
