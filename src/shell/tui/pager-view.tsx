import { Box, Text } from "ink";
import { diffLineColour } from "./diff-view.tsx";
import type { Pager } from "./fix-controller.ts";
import type { Theme } from "./theme.ts";

/** A long text shown full-size in the live area: `rows` rows at most, scrolled with the arrows. */
export function PagerView({ pager, rows, theme }: { pager: Pager; rows: number; theme: Theme }) {
  const pageRows = Math.max(1, rows - 2);
  const shown = pager.lines.slice(pager.top, pager.top + pageRows);
  const last = Math.min(pager.lines.length, pager.top + pageRows);
  return (
    <Box flexDirection="column">
      <Text bold inverse wrap="truncate-end">{` ${pager.title} `}</Text>
      {shown.map((line, i) => (
        <Text key={pager.top + i} color={pager.diff ? diffLineColour(line, theme) : undefined} wrap="truncate-end">
          {line === "" ? " " : line}
        </Text>
      ))}
      <Text dimColor wrap="truncate-end">
        lines {pager.top + 1}–{last} of {pager.lines.length} · ↑ ↓ PgUp PgDn · Esc closes
      </Text>
    </Box>
  );
}

/** Rows of text a pager shows at once in a live area of `rows`. */
export const pagerPageRows = (rows: number) => Math.max(1, rows - 2);
