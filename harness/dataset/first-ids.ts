/** "a, b, c, d, e and 12 more": enough ids to find the problem, without a wall of them. */
export function firstIds(ids: readonly string[], shown = 5): string {
  const more = ids.length > shown ? ` and ${ids.length - shown} more` : "";
  return `${ids.slice(0, shown).join(", ")}${more}`;
}
