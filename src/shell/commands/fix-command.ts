import { BASE_IMAGE } from "../../foundation/sandbox/sandbox-backend.ts";
import { flagTable, parseCommandFlags, type FlagValues } from "./flag-table.ts";

const TASK = "task and place";
const APPROVAL = "approval and output";
const SESSIONS = "sessions";
const MODEL = "model and agent";

export const FIX_FLAGS = flagTable({
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
  flags: FIX_FLAGS,
  epilog: `exit codes (headless): 0 submitted (and applied with --apply), 1 error, 2 usage,
  3 step or time limit reached, 4 --apply refused, 130 interrupted`,
};

export type FixFlagValues = FlagValues<typeof FIX_FLAGS>;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandFlags(argv, FIX_COMMAND);
  if (!parsed) return 0;
  // Loaded after the flags are parsed: --help must not pay for the agent, Docker or the UI.
  const { runFix } = await import("./fix-run.ts");
  return runFix(parsed.values, parsed.positionals);
}
