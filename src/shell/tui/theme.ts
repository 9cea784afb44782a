/**
 * Colours of the UI, or none when NO_COLOR is set (no-color.org: present and not empty).
 * Bold, dim and inverse are kept: they are not colours.
 */
export interface Theme {
  added?: string;
  removed?: string;
  hunk?: string;
  accent?: string;
  good?: string;
  bad?: string;
  muted?: string;
}

const COLOURS: Theme = { added: "green", removed: "red", hunk: "cyan", accent: "magenta", good: "green", bad: "red", muted: "gray" };

export function themeFor(env: Record<string, string | undefined> = process.env): Theme {
  return env.NO_COLOR ? {} : COLOURS;
}
