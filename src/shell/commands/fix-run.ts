import { readFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { z } from "zod";
import { FIXTURES_DIR } from "../../../harness/images/fixture-repo.ts";
import { imageFor } from "../../../harness/images/image-name.ts";
import { loadDataset } from "../../../harness/dataset/dataset.ts";
import { AgentConfig } from "../../../scaffold/agent.ts";
import { loadConfiguration } from "../../../scaffold/config/swe-agent-config.ts";
import { loadTemplates } from "../../../scaffold/templates.ts";
import { ModelClient } from "../../foundation/model/model-client.ts";
import { BASE_IMAGE } from "../../foundation/sandbox/sandbox-backend.ts";
import { ApprovalMode } from "../tui/approval.ts";
import { FIX_EXIT } from "../tui/exit-codes.ts";
import { FixSession } from "../tui/fix-session.ts";
import { gradeSession } from "../tui/grade-session.ts";
import { runHeadless, type OutputFormat } from "../tui/headless.ts";
import { repoRoot } from "../tui/host-git.ts";
import { newSessionId, sessionsDir, SessionStore, type SessionRecord } from "../tui/session-store.ts";
import { CliUsageError } from "./cli-error.ts";
import { ignoreClosedTerminal } from "./interrupt.ts";
import type { FixFlagValues } from "./fix-command.ts";

/** `bottega fix` once its flags are parsed: the session, headless or in the terminal UI. */
export async function runFix(v: FixFlagValues, positionals: string[]): Promise<number> {
  const store = new SessionStore(resolve(sessionsDir(v.sessions)));

  if (v.list) {
    const sessions = store.list();
    if (sessions.length === 0) console.log(`no sessions in ${store.dir}`);
    for (const s of sessions) {
      const where = s.repo_path ?? `${s.instance_id} (${s.image})`;
      console.log(
        `${s.session_id}  ${s.created_at.slice(0, 16).replace("T", " ")}  ${(s.exit_status ?? "open").padEnd(16)} ${String(s.steps).padStart(3)} steps  ${where}  ${oneLine(s.task)}`,
      );
    }
    return 0;
  }

  const approval = parseEnum(ApprovalMode, v.approval ?? (v.headless ? "full-auto" : "suggest"), "--approval");
  const format = parseEnum(z.enum(["text", "json", "stream-json"]), v["output-format"] ?? "text", "--output-format") as OutputFormat;
  if (v.headless && approval !== "full-auto")
    throw new CliUsageError("--headless runs with no one to approve actions: it needs --approval full-auto");
  if (v.apply && !v.headless) throw new CliUsageError("--apply is for --headless; in the UI, type /apply");
  if (v.grade && (!v.instance || !v.headless))
    throw new CliUsageError("--grade grades a SWE-bench instance's patch: it needs --instance and --headless");
  if (v.message !== undefined && v.issue !== undefined) throw new CliUsageError("give the task with -m or --issue, not both");

  const modelURL = v["model-url"] ?? process.env.OPENAI_BASE_URL;
  if (!modelURL) throw new CliUsageError("--model-url: the model server's base URL (with /v1) is needed, or env OPENAI_BASE_URL");
  const requestTimeout = v["request-timeout"];
  const model = new ModelClient({
    baseURL: modelURL,
    model: v.model,
    maxModelLen: v["max-model-len"],
    sampling: { temperature: v.temperature, maxTokens: v["max-tokens"] },
    requestTimeoutMs: requestTimeout === undefined ? undefined : requestTimeout * 1000,
    stream: v.stream === true || (!v.headless && v["no-stream"] !== true),
  });
  // The interactive agent keeps native tool calls unless asked for XML (the davinci-dev configuration).
  const base = loadConfiguration(v["action-format"] === "xml" ? "davinci-dev" : "tools").agent;
  const overrides = {
    stepLimit: v["max-steps"],
    commandTimeoutSec: v["command-timeout"],
    wallTimeSec: v["wall-time"],
    actionFormat: v["action-format"],
  };
  const agentParsed = AgentConfig.safeParse({
    ...base,
    ...Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined)),
  });
  if (!agentParsed.success) {
    const issue = agentParsed.error.issues[0]!;
    const flag = {
      stepLimit: "--max-steps",
      commandTimeoutSec: "--command-timeout",
      wallTimeSec: "--wall-time",
      actionFormat: "--action-format",
    }[String(issue.path[0])];
    throw new CliUsageError(`${flag ?? String(issue.path[0])}: ${issue.message}`);
  }

  let record: SessionRecord;
  let resume = null;
  if (v.resume) {
    const loaded = store.load(v.resume);
    record = { ...loaded.record, approval };
    resume = loaded.trajectory;
  } else {
    record = await newRecord(v, approval, modelURL, positionals);
  }
  if (v.headless && record.task.trim() === "") throw new CliUsageError("--headless needs the task: -m TEXT, --issue FILE or --instance ID");

  const log = (line: string) => process.stderr.write(`${line}\n`);
  const session = await FixSession.open({
    store,
    record,
    model,
    agent: agentParsed.data,
    templates: loadTemplates(v.templates),
    reviewOnSubmit: v["no-review"] !== true,
    resume,
    log: v.headless && format !== "text" ? undefined : log,
  });
  const exportHint = `export it with: bottega export --results ${store.dir} --run-id ${record.session_id}`;
  // Headless stops the agent on a signal itself (abortOnSignals). In the UI Ctrl-C is a key, and
  // a closed terminal (SIGHUP) or a `kill` (SIGTERM) ends the session at once: the container goes
  // with it.
  const signals: NodeJS.Signals[] = v.headless ? [] : ["SIGTERM", "SIGHUP"];
  let closing = false;
  const onSignal = () => {
    if (closing) return;
    closing = true;
    ignoreClosedTerminal();
    void session.close().finally(() => process.exit(FIX_EXIT.interrupted));
  };
  // `on`, not `once`: ink's signal-exit kills the process itself when it finds no other listener left.
  for (const name of signals) process.on(name, onSignal);
  try {
    if (v.headless) {
      return await runHeadless(session, store.trajectoryPath(session.record), {
        format,
        apply: v.apply === true,
        grade: v.grade
          ? (patch) =>
              gradeSession(
                session.record,
                patch,
                dirname(store.trajectoryPath(session.record)).replace(/\/trajectories$/, ""),
                session.modelInfo.model ?? "bottega-fix",
              )
          : undefined,
        out: (text) => process.stdout.write(text),
        err: (text) => process.stderr.write(text),
        exportHint,
      });
    }
    const { runTui } = await import("../tui/run-tui.tsx");
    return await runTui(session, { approval, exportHint });
  } catch (error) {
    console.error(`bottega: ${(error as Error).message}`);
    return FIX_EXIT.error;
  } finally {
    for (const name of signals) process.off(name, onSignal);
    await session.close();
  }
}

async function newRecord(v: FixFlagValues, approval: string, modelURL: string, positionals: string[]): Promise<SessionRecord> {
  const str = (key: keyof FixFlagValues) => {
    const value = v[key];
    return typeof value === "string" ? value : undefined;
  };
  let task = str("message") ?? "";
  if (str("issue")) {
    try {
      task = readFileSync(str("issue")!, "utf8");
    } catch (error) {
      throw new CliUsageError(`--issue: cannot read ${str("issue")}: ${(error as Error).message}`);
    }
  }
  const now = new Date().toISOString();
  const common = {
    format: "bottega-fix-session/1" as const,
    session_id: newSessionId(),
    created_at: now,
    updated_at: now,
    network: str("agent-network") ?? "none",
    setup: str("setup") ?? null,
    host_head: null,
    start_patch: null,
    model: { base_url: modelURL, model: str("model") ?? null },
    approval,
    exit_status: null,
    steps: 0,
  };
  if (str("instance")) {
    if (positionals.length > 0) throw new CliUsageError("--instance works on the instance's image: leave out PATH");
    const bundled = str("dataset") === undefined || str("dataset") === "fixtures";
    let dataset: Awaited<ReturnType<typeof loadDataset>>;
    try {
      dataset = await loadDataset({ source: bundled ? FIXTURES_DIR : str("dataset")!, instances: [str("instance")!] });
    } catch (error) {
      throw new CliUsageError(`--instance/--dataset: ${(error as Error).message}`);
    }
    const row = dataset.rows[0]!;
    return {
      ...common,
      instance_id: row.instance_id,
      repo_path: null,
      dataset: dataset.source,
      image: str("image") ?? imageFor(row),
      workdir: "/testbed",
      task: task || row.problem_statement,
    };
  }
  if (positionals.length > 1) throw new CliUsageError(`fix takes one repository path, got ${positionals.join(" ")}`);
  let root: string;
  try {
    root = await repoRoot(resolve(positionals[0] ?? "."));
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  const workdir = str("workdir") ?? "/testbed";
  if (!workdir.startsWith("/")) throw new CliUsageError(`--workdir: expected an absolute path in the container, got "${workdir}"`);
  return {
    ...common,
    instance_id: basename(root).replace(/[^A-Za-z0-9._-]/g, "_") || "repo",
    repo_path: root,
    dataset: null,
    image: str("image") ?? BASE_IMAGE,
    workdir,
    task,
  };
}

function parseEnum<T extends z.ZodEnum>(schema: T, value: string, flag: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new CliUsageError(`${flag}: expected one of ${schema.options.join(", ")}, got "${value}"`);
  return parsed.data;
}

function oneLine(text: string): string {
  const line = text.trim().split("\n")[0] ?? "";
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
}
