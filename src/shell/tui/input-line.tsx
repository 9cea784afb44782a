import { Text } from "ink";
import type { Theme } from "./theme.ts";

/** The one-row input: the end of what was typed if it is longer than the row, and a cursor. */
export function InputLine({ text, placeholder, columns, theme }: { text: string; placeholder: string; columns: number; theme: Theme }) {
  const room = Math.max(1, columns - 3);
  const chars = Array.from(text);
  const visible = chars.length > room ? `…${chars.slice(chars.length - room + 1).join("")}` : text;
  return (
    <Text wrap="truncate-end">
      <Text color={theme.accent} bold>
        {"› "}
      </Text>
      {text === "" ? <Text dimColor>{placeholder}</Text> : visible}
      <Text inverse> </Text>
    </Text>
  );
}
