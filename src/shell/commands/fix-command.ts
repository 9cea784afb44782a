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
import { flagTable, parseCommandFlags, type FlagValues } from "./flag-table.ts";

const TASK = "task and place";
const APPROVAL = "approval and output";
const SESSIONS = "sessions";
const MODEL = "model and agent";

const FLAGS = flagTable({
  message: { kind: "string", short: "m", group: TASK, placeholder: "TEXT", help: "the task (otherwise typed in the UI)" },
  issue: { kind: "string", group: TASK, placeholder: "FILE", help: "the task, read from a file" },
  instance: {
    kind: "string",
    group: TASK,
    placeholder: "ID",
    help: "a SWE-bench instance in its own image, its problem statement as the task",
  },
  dataset: { kind: "string", group: TASK, placeholder: "D", help: "where --instance comes from", defaultText: "the bundled fixtures" },
  image: { kind: "string", group: TASK, placeholder: "IMAGE", help: "the container image", defaultText: BASE_IMAGE },
  workdir: { kind: "string", group: TASK, placeholder: "DIR", help: "where the repository goes in the container", defaultText: "/testbed" },
  setup: {
    kind: "string",
    group: TASK,
    placeholder: "CMD",
    help: "run once in the container before the agent starts (e.g. pip install -e .)",
  },
  "agent-network": { kind: "string", group: TASK, placeholder: "MODE", help: "the container's network", defaultText: "none" },
  approval: {
    kind: "string",
    group: APPROVAL,
    placeholder: "MODE",
    help: "suggest (every action asks), auto-edit (edits run, commands ask),\nfull-auto (--headless needs full-auto)",
    defaultText: "suggest; full-auto with --headless",
  },
  headless: { kind: "boolean", group: APPROVAL, help: "no UI: run to the end, print the result" },
  "output-format": {
    kind: "string",
    group: APPROVAL,
    placeholder: "F",
    help: "text (patch on stdout, progress on stderr) | json | stream-json",
    defaultText: "text",
  },
  apply: {
    kind: "boolean",
    group: APPROVAL,
    help: "apply the patch to the repository at the end (headless), refusing\nif a file it touches changed on the host meanwhile",
  },
  grade: { kind: "boolean", group: APPROVAL, help: "with --instance --headless: grade the patch with the official rules" },
  resume: { kind: "string", group: SESSIONS, placeholder: "ID", help: "rebuild the container from a saved session and continue it" },
  list: { kind: "boolean", group: SESSIONS, help: "list saved sessions" },
  sessions: {
    kind: "string",
    group: SESSIONS,
    placeholder: "DIR",
    help: "where sessions are saved; `bottega export --results DIR\n--run-id SESSION` exports one",
    defaultText: "$BOTTEGA_SESSIONS, else ~/.local/state/bottega/sessions",
  },
  "model-url": { kind: "string", group: MODEL, placeholder: "URL", help: "base URL with /v1 (or env OPENAI_BASE_URL)" },
  model: { kind: "string", group: MODEL, placeholder: "NAME", help: "served model name", defaultText: "discovered from /v1/models" },
  "max-model-len": { kind: "integer", group: MODEL, placeholder: "N", help: "context size", defaultText: "from /v1/models" },
  temperature: { kind: "number", group: MODEL, placeholder: "T", help: "sampling temperature", default: 0 },
  "max-tokens": { kind: "integer", group: MODEL, placeholder: "N", help: "completion tokens per call", default: 4096 },
  "request-timeout": { kind: "number", group: MODEL, placeholder: "S", help: "seconds per request", default: 600 },
  "no-stream": { kind: "boolean", group: MODEL, help: "do not stream (the UI streams by default; headless does not)" },
  stream: { kind: "boolean", group: MODEL, help: "stream, headless too" },
  "max-steps": { kind: "integer", group: MODEL, placeholder: "N", help: "model calls per session", default: 100 },
  "command-timeout": { kind: "number", group: MODEL, placeholder: "S", help: "seconds per tool command", default: 300 },
  "wall-time": { kind: "number", group: MODEL, placeholder: "S", help: "seconds per session", default: 3600 },
  "action-format": {
    kind: "string",
    group: MODEL,
    placeholder: "tools|text",
    help: "native tool calls or fenced blocks in text",
    default: "tools",
  },
  templates: { kind: "string", group: MODEL, placeholder: "FILE", help: "JSON file overriding prompt templates" },
  "no-review": { kind: "boolean", group: MODEL, help: "submit without SWE-agent's review step" },
});

export const FIX_COMMAND = {
  usage: `usage: bottega fix [PATH] [-m TEXT | --issue FILE] [options]
       bottega fix --instance ID [--dataset D] [options]
       bottega fix --resume ID | --list`,
  description: `Fixes a bug with the agent, in a container: PATH (default: the current directory) is a git
repository, copied into the container (not mounted: nothing on the host changes until you
apply the patch). Interactive by default; --headless for scripts and CI.`,
  positionals: "PATH",
  flags: FLAGS,
  epilog: `exit codes (headless): 0 submitted (and applied with --apply), 1 error, 2 usage,
  3 step or time limit reached, 4 --apply refused, 130 interrupted`,
};

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandFlags(argv, FIX_COMMAND);
  if (!parsed) return 0;
  const v = parsed.values;
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
    record = await newRecord(v, approval, modelURL, parsed.positionals);
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
    await session.close();
  }
}

async function newRecord(v: FlagValues<typeof FLAGS>, approval: string, modelURL: string, positionals: string[]): Promise<SessionRecord> {
  const str = (key: keyof typeof FLAGS) => {
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
    let dataset;
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
