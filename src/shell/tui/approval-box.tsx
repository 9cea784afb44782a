import { Box, Text } from "ink";
import { actionSummary } from "./action-summary.ts";
import { DiffView } from "./diff-view.tsx";
import type { PendingApproval } from "./fix-controller.ts";
import { toRows } from "./text-rows.ts";
import type { Theme } from "./theme.ts";

/**
 * An action waiting for approval: what it runs (a command whole, an edit as its diff), then the
 * keys. Never taller than `rows`.
 */
export function ApprovalBox({
  approval,
  rows,
  columns,
  theme,
}: {
  approval: PendingApproval;
  rows: number;
  columns: number;
  theme: Theme;
}) {
  const bodyRows = Math.max(0, rows - 3);
  const command = approval.tool === "bash" && typeof approval.args.command === "string" ? toRows(approval.args.command, columns - 2) : null;
  return (
    <Box flexDirection="column">
      <Text bold color={theme.accent} wrap="truncate-end">
        step {approval.step} wants to run: {approval.tool === "bash" ? "a command" : actionSummary(approval.tool, approval.args)}
      </Text>
      {command?.slice(0, bodyRows).map((row, i) => (
        <Text key={i}>{`$ ${row}`}</Text>
      ))}
      {command && command.length > bodyRows && <Text dimColor>… {command.length - bodyRows} more rows</Text>}
      {!command && approval.diff && <DiffView diff={approval.diff} theme={theme} maxLines={bodyRows - 1} />}
      {!command && !approval.diff && approval.tool === "str_replace_editor" && approval.args.command !== "view" && (
        <Text color={theme.bad}>this edit would not apply as written (the editor will say why)</Text>
      )}
      {approval.askingFeedback ? (
        <Text color={theme.bad}>rejected — type feedback for the model and press Enter (or just Enter)</Text>
      ) : (
        <Text wrap="truncate-end">
          <Text bold>[y]</Text> yes <Text bold>[n]</Text> no, with feedback <Text bold>[shift-tab]</Text> mode <Text bold>[esc]</Text> stop
        </Text>
      )}
    </Box>
  );
}
