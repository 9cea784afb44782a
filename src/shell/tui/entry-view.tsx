import { Box, Text } from "ink";
import { actionSummary } from "./action-summary.ts";
import { DiffView } from "./diff-view.tsx";
import type { Entry } from "./fix-controller.ts";
import { fold, wordWrap } from "./text-rows.ts";
import type { Theme } from "./theme.ts";

/** Lines of an observation shown in the scrollback before it is folded. */
export const FOLDED_LINES = 8;

/** Rows wrapped by us (see wordWrap), each drawn as it is. */
function Rows({ text, columns, color, dim }: { text: string; columns: number; color?: string; dim?: boolean }) {
  return (
    <Box flexDirection="column">
      {wordWrap(text, columns).map((row, i) => (
        <Text key={i} color={color} dimColor={dim} wrap="truncate-end">
          {row === "" ? " " : row}
        </Text>
      ))}
    </Box>
  );
}

/** One finished item of the conversation, printed once into the scrollback, `columns` wide. */
export function EntryView({ entry, columns, theme }: { entry: Entry; columns: number; theme: Theme }) {
  switch (entry.kind) {
    case "user":
      return (
        <Box marginTop={1}>
          <Box flexShrink={0}>
            <Text color={theme.accent} bold>
              {"› "}
            </Text>
          </Box>
          <Rows text={entry.text} columns={columns - 2} />
        </Box>
      );
    case "note":
      return (
        <Box marginTop={1}>
          <Rows
            text={entry.text}
            columns={columns}
            color={entry.tone === "good" ? theme.good : entry.tone === "bad" ? theme.bad : undefined}
            dim={entry.tone === "info"}
          />
        </Box>
      );
    case "diff":
      return (
        <Box flexDirection="column" marginTop={1}>
          <Text bold>{entry.title}</Text>
          <DiffView diff={entry.diff} theme={theme} />
        </Box>
      );
    case "step":
      return <StepView entry={entry} columns={columns} theme={theme} />;
  }
}

function StepView({ entry, columns, theme }: { entry: Extract<Entry, { kind: "step" }>; columns: number; theme: Theme }) {
  const { step, diff } = entry;
  const thought = (step.thought ?? step.response.content ?? "").trim();
  const output = step.observation ?? step.format_error?.message ?? "";
  const folded = fold(output === "" ? "(no output)" : output, FOLDED_LINES);
  const failed = step.format_error !== null || /^The user rejected|interrupted by the user/m.test(output);
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text dimColor>step {step.step}</Text>
      {thought !== "" && <Rows text={thought} columns={columns} />}
      {step.action ? (
        <Text color={theme.accent} bold wrap="truncate-end">
          {actionSummary(step.action.tool, step.action.args)}
        </Text>
      ) : (
        <Text color={theme.bad}>no usable action ({step.format_error?.code})</Text>
      )}
      {diff && <DiffView diff={diff} theme={theme} maxLines={40} />}
      <Box flexDirection="column" paddingLeft={2}>
        {folded.lines.map((line, i) => (
          <Text key={i} color={failed ? theme.bad : undefined} dimColor={!failed} wrap="truncate-end">
            {line === "" ? " " : line}
          </Text>
        ))}
        {folded.more > 0 && (
          <Text dimColor>
            … {folded.more} more lines (Ctrl-O or /show {step.step} to expand)
          </Text>
        )}
      </Box>
    </Box>
  );
}
