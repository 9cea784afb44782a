import { Box, Static, Text, useInput, useStdout } from "ink";
import { useEffect, useRef, useState, useSyncExternalStore } from "react";
import { EntryView } from "./entry-view.tsx";
import type { FixController, ViewState } from "./fix-controller.ts";
import { Footer } from "./footer.tsx";
import { InputLine } from "./input-line.tsx";
import { LiveView } from "./live-view.tsx";
import { pagerPageRows } from "./pager-view.tsx";
import type { Theme } from "./theme.ts";

/** Rows the live area leaves for the hint line, the input line and the footer (and one spare). */
const FIXED_ROWS = 4;

/** The terminal's size, updated on resize. */
function useTerminalSize(): { rows: number; columns: number } {
  const { stdout } = useStdout();
  const read = () => ({ rows: stdout.rows || 24, columns: stdout.columns || 80 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    let columns = stdout.columns;
    const onResize = () => {
      // The terminal re-wrapped what ink drew at the old width, so ink's count of rows to erase
      // is wrong (and its own redraw on resize used the old layout): clear the screen, then
      // draw at the new size. This listener runs after ink's.
      if (stdout.columns !== columns && stdout.isTTY) stdout.write("\x1b[2J\x1b[H");
      columns = stdout.columns;
      setSize(read());
    };
    stdout.on("resize", onResize);
    return () => {
      stdout.off("resize", onResize);
    };
  }, [stdout]);
  return size;
}

function placeholder(state: ViewState): string {
  if (state.approval?.askingFeedback) return "feedback for the model (Enter sends, empty is fine)";
  switch (state.phase) {
    case "idle":
      return "describe the bug, or /help";
    case "waiting":
      return "stopped: a message for the agent, or Enter to go on";
    case "finished":
      return "a follow-up, /diff, /apply, /save FILE, /clear, /quit";
    default:
      return "type any time: it becomes the next user turn";
  }
}

/**
 * The interactive face of `bottega fix`. Finished steps go to <Static> (written once, then left
 * to the terminal's scrollback); below them a live area no taller than the terminal: what the
 * model is saying or running, an approval, or a pager; then a hint, the input and the footer.
 */
export function FixApp({ controller, theme, network }: { controller: FixController; theme: Theme; network: string }) {
  useSyncExternalStore(controller.subscribe.bind(controller), controller.getVersion);
  const state = controller.state;
  const { rows, columns } = useTerminalSize();
  // The typed text lives in a ref, so keys that arrive before the next render see the latest.
  const typedRef = useRef("");
  const [text, setTextState] = useState("");
  const setText = (next: string | ((previous: string) => string)) => {
    typedRef.current = typeof next === "function" ? next(typedRef.current) : next;
    setTextState(typedRef.current);
  };
  const liveRows = Math.max(0, rows - FIXED_ROWS);

  useInput((input, key) => {
    const text = typedRef.current;
    if (key.ctrl && input === "c") return controller.ctrlC();
    controller.disarmQuit();
    if (key.escape) return controller.interrupt();
    if (key.shift && key.tab) return controller.cycleMode();
    if (key.ctrl && input === "o") return controller.openStep();
    if (state.pager) {
      const page = pagerPageRows(liveRows);
      if (key.upArrow) return controller.scroll(-1, page);
      if (key.downArrow) return controller.scroll(1, page);
      if (key.pageUp) return controller.scroll(-page, page);
      if (key.pageDown) return controller.scroll(page, page);
      if (input === "q" && text === "") return controller.interrupt();
    }
    if (state.approval && !state.approval.askingFeedback && text === "") {
      if (input === "y" || input === "Y") return controller.answer(true);
      if (input === "n" || input === "N") return controller.answer(false);
      return;
    }
    if (key.return) {
      const typed = text;
      setText("");
      void controller.submit(typed);
      return;
    }
    if (key.backspace || key.delete) return setText((t) => Array.from(t).slice(0, -1).join(""));
    if (!input || key.ctrl || key.meta || key.tab) return;
    // Text and Enter can arrive in one read (a fast typist, a paste, tmux send-keys).
    const enter = input.search(/[\r\n]/);
    if (enter < 0) return setText((t) => t + input);
    const typed = text + input.slice(0, enter);
    setText(input.slice(enter + 1).replace(/[\r\n]+/g, " "));
    void controller.submit(typed);
  });

  return (
    <>
      <Static items={state.entries}>{(entry) => <EntryView key={entry.id} entry={entry} columns={columns} theme={theme} />}</Static>
      <Box flexDirection="column" width={columns}>
        <LiveView state={state} rows={liveRows} columns={columns} theme={theme} />
        <Text dimColor wrap="truncate-end">
          {state.hint ?? (state.queued.length > 0 ? `${state.queued.length} message(s) queued for the next turn` : " ")}
        </Text>
        <InputLine text={text} placeholder={placeholder(state)} columns={columns} theme={theme} />
        <Footer
          state={state}
          stepLimit={controller.session.stepLimit}
          maxModelLen={controller.session.modelInfo.maxModelLen}
          network={network}
          columns={columns}
          theme={theme}
        />
      </Box>
    </>
  );
}
