import type { TaskRow } from "../dataset/task-row.ts";

/**
 * Instances of the same repository and version are built on the same environment image, so
 * their instance images share every layer but their own: the group they pull together.
 */
export function layerGroup(row: Pick<TaskRow, "repo" | "version">): string {
  return `${row.repo}@${row.version}`;
}

/**
 * The queue in layer-sharing order: each group's instances together, groups in the order they
 * first appear, instances within a group in dataset order. Run close together, a group's
 * shared layers are pulled once and stay on disk while the group runs.
 */
export function orderBySharedLayers<T extends Pick<TaskRow, "repo" | "version">>(rows: readonly T[]): T[] {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const key = layerGroup(row);
    const members = groups.get(key);
    if (members) members.push(row);
    else groups.set(key, [row]);
  }
  return [...groups.values()].flat();
}
