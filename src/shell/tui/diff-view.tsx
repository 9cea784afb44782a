import { Box, Text } from "ink";
import type { Theme } from "./theme.ts";

/** The colour of one line of a unified diff. */
export function diffLineColour(line: string, theme: Theme): string | undefined {
  if (line.startsWith("+++") || line.startsWith("---")) return undefined;
  if (line.startsWith("+")) return theme.added;
  if (line.startsWith("-")) return theme.removed;
  if (line.startsWith("@@")) return theme.hunk;
  return undefined;
}

/** A unified diff, coloured by line type; at most `maxLines` lines, then a note of the rest. */
export function DiffView({ diff, theme, maxLines, width }: { diff: string; theme: Theme; maxLines?: number; width?: number }) {
  const lines = diff.replace(/\n$/, "").split("\n");
  const shown = maxLines === undefined ? lines : lines.slice(0, Math.max(0, maxLines));
  const more = lines.length - shown.length;
  return (
    <Box flexDirection="column" width={width}>
      {shown.map((line, i) => (
        <Text key={i} color={diffLineColour(line, theme)} bold={line.startsWith("+++") || line.startsWith("---")} wrap="truncate-end">
          {line === "" ? " " : line}
        </Text>
      ))}
      {more > 0 && <Text dimColor>… {more} more diff lines (Ctrl-O shows them all)</Text>}
    </Box>
  );
}
