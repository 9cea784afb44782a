import { Text } from "ink";
import { useEffect, useState } from "react";
import type { ViewState } from "./fix-controller.ts";
import type { Theme } from "./theme.ts";

export function compact(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

export function clock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

export interface FooterProps {
  state: Pick<ViewState, "step" | "contextTokens" | "promptTokens" | "completionTokens" | "startedAt" | "mode" | "phase">;
  stepLimit: number;
  maxModelLen: number | null;
  network: string;
  /** The row's width: what does not fit is left out, least needed first (tokens, context, time). */
  columns: number;
  theme: Theme;
  now?: () => number;
}

/**
 * step/limit · context used / max_model_len · tokens · elapsed · approval mode · network · phase;
 * one row. The mode, the network and what the session waits for always show.
 */
export function Footer({ state, stepLimit, maxModelLen, network, columns, theme, now = Date.now }: FooterProps) {
  const [, tick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => tick((t) => t + 1), 1000);
    return () => clearInterval(timer);
  }, []);
  const figures = [
    { text: `ctx ${compact(state.contextTokens)}/${maxModelLen === null ? "?" : compact(maxModelLen)}`, rank: 2 },
    { text: `tok ${compact(state.promptTokens)}↑ ${compact(state.completionTokens)}↓`, rank: 1 },
    { text: clock(now() - state.startedAt), rank: 3 },
  ];
  const head = (shown: typeof figures) => ` step ${state.step}/${stepLimit} · ${shown.map((f) => `${f.text} · `).join("")}`;
  const tail = ` · net ${network} · ${state.phase} `;
  let shown = figures;
  for (let rank = 1; rank <= 3 && head(shown).length + state.mode.length + tail.length > columns; rank++)
    shown = shown.filter((f) => f.rank !== rank);
  return (
    <Text wrap="truncate-end" inverse>
      {head(shown)}
      <Text color={state.mode === "full-auto" ? theme.bad : state.mode === "auto-edit" ? theme.accent : undefined} bold>
        {state.mode}
      </Text>
      {tail}
    </Text>
  );
}
