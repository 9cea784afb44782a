import { execFileSync, spawn } from "node:child_process";
import { existsSync, openSync } from "node:fs";
import Docker from "dockerode";

/** The pid of a dockerd this test may restart: only one running as a plain process we can signal (root). */
export function restartableDockerd(): number | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const pids = execFileSync("pidof", ["dockerd"]).toString().trim().split(/\s+/);
    return pids.length === 1 ? Number(pids[0]) : undefined;
  } catch {
    return undefined;
  }
}

async function engineAnswers(): Promise<boolean> {
  return new Docker().ping().then(
    () => true,
    () => false,
  );
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Stops dockerd (SIGTERM, as a service manager would), then starts it again, as .ci/run does. */
export async function stopDockerd(pid: number): Promise<void> {
  process.kill(pid, "SIGTERM");
  await waitFor("dockerd to exit", () => !existsSync(`/proc/${pid}`), 60_000);
}

export async function startDockerd(): Promise<void> {
  if (await engineAnswers()) return;
  const log = openSync("/var/log/dockerd.log", "a");
  spawn("dockerd", [], { detached: true, stdio: ["ignore", log, log] }).unref();
  await waitFor("dockerd to answer", engineAnswers, 60_000);
}
