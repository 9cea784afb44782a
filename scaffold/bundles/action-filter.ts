/**
 * SWE-agent's command filter (`agent.tools.filter`, main branch): an action is refused when it
 * starts with a blocklist entry, equals a standalone entry, or its first word is a name that
 * needs a matching regex it does not match. The test is on the whole stripped action line.
 */
export interface ActionFilter {
  blocklist: string[];
  blocklistStandalone: string[];
  blockUnlessRegex: Record<string, string>;
  /** `{{action}}` is the refused line. */
  errorTemplate: string;
}

export const DEFAULT_FILTER: ActionFilter = {
  blocklist: ["vim", "vi", "emacs", "nano", "nohup", "gdb", "less", "tail -f", "python -m venv", "make"],
  blocklistStandalone: ["python", "python3", "ipython", "bash", "sh", "/bin/bash", "/bin/sh", "nohup", "vi", "vim", "emacs", "nano", "su"],
  blockUnlessRegex: { radare2: "\\b(?:radare2)\\b.*\\s+-c\\s+.*", r2: "\\b(?:radare2)\\b.*\\s+-c\\s+.*" },
  errorTemplate: "Operation '{{action}}' is not supported by this environment.",
};

/** The refusal message for a blocked action, or null when it may run. */
export function blockedAction(action: string, filter: ActionFilter): string | null {
  const line = action.trim();
  if (line === "") return null;
  const blocked =
    filter.blocklist.some((prefix) => line.startsWith(prefix)) ||
    filter.blocklistStandalone.includes(line) ||
    (() => {
      const name = line.split(/\s+/)[0]!;
      const regex = Object.hasOwn(filter.blockUnlessRegex, name) ? filter.blockUnlessRegex[name]! : null;
      return regex !== null && !new RegExp(regex).test(line);
    })();
  return blocked ? filter.errorTemplate.replace(/\{\{\s*action\s*\}\}/g, () => action) : null;
}
