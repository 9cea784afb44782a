import { Box, Text } from "ink";
import { actionSummary } from "./action-summary.ts";
import { DiffView } from "./diff-view.tsx";
import type { Entry } from "./fix-controller.ts";
import { fold } from "./text-rows.ts";
import type { Theme } from "./theme.ts";

/** Lines of an observation shown in the scrollback before it is folded. */
export const FOLDED_LINES = 8;

/** One finished item of the conversation, printed once into the scrollback. */
export function EntryView({ entry, theme }: { entry: Entry; theme: Theme }) {
  switch (entry.kind) {
    case "user":
      return (
        <Box marginTop={1}>
          <Text color={theme.accent} bold>
            {"› "}
          </Text>
          <Text>{entry.text}</Text>
        </Box>
      );
    case "note":
      return (
        <Box marginTop={1}>
          <Text color={entry.tone === "good" ? theme.good : entry.tone === "bad" ? theme.bad : undefined} dimColor={entry.tone === "info"}>
            {entry.text}
          </Text>
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
      return <StepView entry={entry} theme={theme} />;
  }
}

function StepView({ entry, theme }: { entry: Extract<Entry, { kind: "step" }>; theme: Theme }) {
  const { step, diff } = entry;
  const thought = (step.thought ?? step.response.content ?? "").trim();
  const output = step.observation ?? step.format_error?.message ?? "";
  const folded = fold(output === "" ? "(no output)" : output, FOLDED_LINES);
  const failed = step.format_error !== null || /^The user rejected|interrupted by the user/m.test(output);
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text dimColor>step {step.step}</Text>
      {thought !== "" && <Text>{thought}</Text>}
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
