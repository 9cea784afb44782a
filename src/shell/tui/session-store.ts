import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { RunLayout } from "../../../harness/run/run-layout.ts";
import { writeFileAtomic } from "../../foundation/store/atomic-file.ts";
import { ExitStatus, readTrajectory, type Trajectory } from "../../../scaffold/trajectory.ts";

/**
 * A `bottega fix` session on disk. Sessions live in a results folder laid out like a run
 * (`<sessions>/<session_id>/trajectories/<instance_id>.json`), so `bottega export --results
 * <sessions> --run-id <session_id>` works on them; session.json holds what resume needs.
 */
export const SessionRecord = z.object({
  format: z.literal("bottega-fix-session/1"),
  session_id: z.string(),
  instance_id: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  /** The host repository the session works on; null for a SWE-bench instance. */
  repo_path: z.string().nullable(),
  /** SWE-bench mode: the dataset the instance came from. */
  dataset: z.string().nullable(),
  image: z.string(),
  workdir: z.string(),
  network: z.string(),
  setup: z.string().nullable(),
  /** The host's HEAD when the session started, and the host's uncommitted changes on top of it. */
  host_head: z.string().nullable(),
  start_patch: z.string().nullable(),
  model: z.object({ base_url: z.string(), model: z.string().nullable() }),
  approval: z.string(),
  task: z.string(),
  exit_status: ExitStatus.nullable(),
  steps: z.number().int(),
});
export type SessionRecord = z.infer<typeof SessionRecord>;

/** Where sessions are kept: --sessions, else $BOTTEGA_SESSIONS, else ~/.local/state/bottega/sessions. */
export function sessionsDir(flag?: string): string {
  if (flag) return flag;
  if (process.env.BOTTEGA_SESSIONS) return process.env.BOTTEGA_SESSIONS;
  const state = process.env.XDG_STATE_HOME || join(homedir(), ".local", "state");
  return join(state, "bottega", "sessions");
}

export function newSessionId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `fix-${stamp}-${randomBytes(2).toString("hex")}`;
}

export class SessionStore {
  constructor(readonly dir: string) {}

  private layout(sessionId: string): RunLayout {
    return new RunLayout(this.dir, sessionId);
  }

  recordPath(sessionId: string): string {
    return join(this.layout(sessionId).root, "session.json");
  }

  trajectoryPath(record: Pick<SessionRecord, "session_id" | "instance_id">): string {
    return this.layout(record.session_id).trajectory(record.instance_id);
  }

  async save(record: SessionRecord): Promise<void> {
    await writeFileAtomic(this.recordPath(record.session_id), JSON.stringify({ ...record, updated_at: new Date().toISOString() }, null, 1));
  }

  /** A saved session and its conversation; a bad or missing file is an error naming it. */
  load(sessionId: string): { record: SessionRecord; trajectory: Trajectory | null } {
    const path = this.recordPath(sessionId);
    if (!existsSync(path)) throw new Error(`no session ${sessionId} in ${this.dir} (see bottega fix --list)`);
    const record = parseJson(path, SessionRecord);
    const trajectoryPath = this.trajectoryPath(record);
    const trajectory: Trajectory | null = existsSync(trajectoryPath) ? readTrajectory(trajectoryPath) : null;
    return { record, trajectory };
  }

  /** Every readable session, newest first. */
  list(): SessionRecord[] {
    if (!existsSync(this.dir)) return [];
    const records: SessionRecord[] = [];
    for (const name of readdirSync(this.dir)) {
      const path = this.recordPath(name);
      if (!existsSync(path)) continue;
      const parsed = SessionRecord.safeParse(JSON.parse(readFileSync(path, "utf8")));
      if (parsed.success) records.push(parsed.data);
    }
    return records.sort((a, b) => b.created_at.localeCompare(a.created_at));
  }
}

function parseJson<T extends z.ZodType>(path: string, schema: T): z.infer<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`${path}: not readable JSON (${(error as Error).message})`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${path}: field "${issue.path.join(".")}": ${issue.message}`);
  }
  return parsed.data;
}
