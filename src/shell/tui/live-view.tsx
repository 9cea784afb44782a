import { Box, Text } from "ink";
import { useEffect, useState } from "react";
import { actionSummary } from "./action-summary.ts";
import { ApprovalBox } from "./approval-box.tsx";
import type { ViewState } from "./fix-controller.ts";
import { PagerView } from "./pager-view.tsx";
import { lastRows } from "./text-rows.ts";
import type { Theme } from "./theme.ts";

/**
 * What is happening now, above the input line: the pager, an approval, or the model's reply as
 * it streams and the command running. At most `rows` rows, whatever the content.
 */
export function LiveView({
  state,
  rows,
  columns,
  theme,
  now = Date.now,
}: {
  state: ViewState;
  rows: number;
  columns: number;
  theme: Theme;
  now?: () => number;
}) {
  if (rows <= 0) return null;
  if (state.pager) return <PagerView pager={state.pager} rows={rows} theme={theme} />;
  if (state.approval) return <ApprovalBox approval={state.approval} rows={rows} columns={columns} theme={theme} />;
  const running = state.running;
  const streamRows = rows - (running ? 1 : 0);
  const stream = state.streaming ? lastRows(state.streaming, columns, streamRows) : { rows: [], hidden: 0 };
  return (
    <Box flexDirection="column">
      {stream.rows.map((row, i) => (
        <Text key={i} dimColor={i === 0 && stream.hidden > 0}>
          {row === "" ? " " : row}
        </Text>
      ))}
      {running && <RunningLine running={running} theme={theme} now={now} />}
    </Box>
  );
}

/** The action running now, with its time ticking (only this row redraws each second). */
function RunningLine({ running, theme, now }: { running: NonNullable<ViewState["running"]>; theme: Theme; now: () => number }) {
  const [, tick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => tick((t) => t + 1), 1000);
    return () => clearInterval(timer);
  }, []);
  return (
    <Text color={theme.accent} wrap="truncate-end">
      ⏵ {actionSummary(running.tool, running.args)} ({Math.round((now() - running.since) / 1000)} s · Esc stops it)
    </Text>
  );
}
