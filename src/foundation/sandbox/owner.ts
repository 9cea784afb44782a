import { readFileSync } from "node:fs";
import { hostname } from "node:os";

/** Labels every bottega container carries, so leftovers of a crashed run can be found. */
export const LABELS = {
  run: "bottega.run",
  instance: "bottega.instance",
  role: "bottega.role",
  owner: "bottega.owner",
} as const;

/** The process start time from /proc, so a recycled pid is not mistaken for its predecessor. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name; starttime is field 22 overall.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** host:pid:starttime of this process. */
export function currentOwner(): string {
  return `${hostname()}:${process.pid}:${startTime(process.pid) ?? "?"}`;
}

/**
 * Whether the process named by an owner label is still running. Owners on another host are
 * presumed alive: we cannot see them and must not remove their containers.
 */
export function ownerIsAlive(owner: string): boolean {
  const [host, pid, start] = owner.split(":");
  if (host !== hostname()) return true;
  const current = startTime(Number(pid));
  return current !== undefined && (start === "?" || current === start);
}
