import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { fixtureRepoDir } from "../harness/images/fixture-repo.ts";
import { toolCalls, type ScriptStep } from "../src/foundation/model/scripted/script.ts";
import { PROJECT_ROOT } from "./support/cli.ts";
import { fixRepo, git, hostTests } from "./support/fix-repo.ts";
import { fixtureSuite } from "./support/fixture-suite.ts";
import { episodeFromPatch } from "./support/scripted-episode.ts";
import { TmuxTerminal } from "./support/tmux.ts";

/**
 * `bottega fix` as a person uses it: the real CLI in a real pseudo-terminal (tmux, 80×24, CI=0
 * so ink draws live), keys sent as typed, the screen read back; the scripted model server here,
 * a real container, a temporary git repository made from a fixture.
 */
const suite = fixtureSuite("fix-tui");
const terminals: TmuxTerminal[] = [];
afterAll(() => {
  for (const t of terminals) t.kill();
});

const bash = (command: string, thought = "") => ({ ...toolCalls({ name: "bash", arguments: { command } }), content: thought });
const TASK = "Chained subtraction is wrong: 10 - 4 - 3 gives 9, should give 3.";

function containersOf(repo: string): string[] {
  return execFileSync("docker", ["ps", "-aq", "--filter", `label=bottega.instance=${basename(repo)}`], { encoding: "utf8" })
    .split("\n")
    .filter(Boolean);
}

function launch(args: string[], sessions: string, exitFile: string): TmuxTerminal {
  const quoted = args.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const command = `env CI=0 NO_COLOR=1 BOTTEGA_SESSIONS=${sessions} node bin/bottega.js fix ${quoted} 2>/dev/null; echo $? > ${exitFile}`;
  const terminal = new TmuxTerminal(command, { columns: 80, rows: 24, cwd: PROJECT_ROOT });
  terminals.push(terminal);
  return terminal;
}

async function exitCode(file: string): Promise<number> {
  for (let i = 0; i < 300 && !existsSync(file); i++) await delay(100);
  return Number(readFileSync(file, "utf8").trim());
}

const tmux = spawnSync("tmux", ["-V"]).status === 0;
if (!tmux) console.warn("SKIPPED test/fix-tui-e2e.test.ts: tmux is not installed (.ci/setup-tools installs it)");

describe.skipIf(!tmux)("bottega fix in a terminal (tmux, 80×24)", () => {
  it("approve an edit, Esc a long command, reject with feedback, /apply, quit; then --resume continues the conversation", async () => {
    const row = suite.rows.find((r) => r.instance_id === "bottega-fixtures__calc-1")!;
    const edit = episodeFromPatch(row.patch, fixtureRepoDir(row.instance_id)).find((a) => a.call.arguments.command === "str_replace")!;
    const turns: ScriptStep[] = [
      bash("cd /testbed && ls", "Looking around."),
      { ...toolCalls(edit.call), content: "The parser recurses on the right operand." },
      bash("sleep 120; echo slept", "A slow check."),
      bash("rm -rf /testbed/calc", "Start over?"),
      bash("cd /testbed && python -m pytest -q tests 2>&1 | tail -1", "Run the tests."),
      toolCalls({ name: "submit", arguments: {} }),
      toolCalls({ name: "submit", arguments: {} }),
      // After --resume:
      bash("cd /testbed && git status --short", "Checking what is changed."),
    ];
    const server = await suite.serve([{ name: "calc", match: () => true, turns }]);
    const repo = await fixRepo(row);
    const sessions = mkdtempSync(join(tmpdir(), "bottega-sessions-"));
    const exitFile = join(sessions, "exit-1");
    const t = launch(
      [repo, "--model-url", server.url, "-m", TASK, "--setup", "ln -sf /usr/bin/python3 /usr/local/bin/python"],
      sessions,
      exitFile,
    );

    // 1. A command in suggest mode asks first.
    await t.waitFor("wants to run: a command", 120_000);
    expect(t.screen()).toContain("$ cd /testbed && ls");
    expect(t.screen()).toMatch(/step 0\/100 · ctx 0\/33k .* suggest · net none/);
    t.keys("y");
    // 2. The edit: its diff before approval.
    const before = await t.waitFor("wants to run: str_replace /testbed/calc/parser.py");
    expect(before).toContain("--- a/calc/parser.py");
    expect(before).toContain("-            return BinOp(op, left, self.expr())");
    expect(before).toContain("+            node = BinOp(op, node, self.term())");
    t.keys("y");
    // 3. A long command: Esc kills it in the container and the session waits.
    await t.waitFor("$ sleep 120; echo slept");
    t.keys("y");
    await t.waitFor("⏵ $ sleep 120; echo slept");
    const [container] = containersOf(repo);
    expect(execFileSync("docker", ["exec", container!, "ps", "-eo", "args"], { encoding: "utf8" })).toContain("sleep 120");
    t.keys("Escape");
    await t.waitFor("stopped: type a message");
    expect(t.screen()).toContain("The command was interrupted by the user.");
    expect(execFileSync("docker", ["exec", container!, "ps", "-eo", "args"], { encoding: "utf8" })).not.toContain("sleep 120");
    t.type("go on, but no more sleeping");
    t.keys("Enter");
    // 4. Reject with feedback.
    await t.waitFor("$ rm -rf /testbed/calc");
    t.keys("n");
    await t.waitFor("type feedback for the model");
    t.type("do not delete the package");
    t.keys("Enter");
    // 5. Tests, submit (review), submit.
    await t.waitFor("$ cd /testbed && python -m pytest -q tests 2>&1 | tail -1");
    t.keys("y");
    await t.waitFor("wants to run: submit");
    t.keys("y");
    await t.waitFor(/step 7 wants to run: submit/);
    t.keys("y");
    await t.waitFor("submitted: the agent submitted");

    // What the model was sent: the interruption and the typed message, then the feedback.
    const requests = server.chatRequests("calc").map((r) => (r.body as { messages: Array<{ role: string; content: string }> }).messages);
    const afterEsc = requests[3]!;
    expect(afterEsc.at(-2)).toMatchObject({ role: "tool", content: expect.stringContaining("The command was interrupted by the user.") });
    expect(afterEsc.at(-1)).toEqual({ role: "user", content: "go on, but no more sleeping" });
    expect(requests[4]!.at(-1)).toMatchObject({
      role: "tool",
      content: expect.stringContaining("The user rejected this action. Their feedback: do not delete the package"),
    });
    expect(requests[5]!.at(-1)!.content).toContain("passed"); // the package is still there and fixed

    // 6. /apply: the host repository holds the fix and its tests pass.
    expect(hostTests(repo).code).not.toBe(0);
    t.type("/apply");
    t.keys("Enter");
    await t.waitFor(`applied to ${repo}: calc/parser.py`);
    expect(hostTests(repo)).toMatchObject({ code: 0 });
    expect(git(repo, "status", "--porcelain")).toBe(" M calc/parser.py\n");

    // 7. /quit removes the container.
    t.type("/quit");
    t.keys("Enter");
    expect(await exitCode(exitFile)).toBe(0);
    expect(containersOf(repo)).toEqual([]);

    // 8. --resume: a new container rebuilt from the saved patch, the conversation continued.
    const [sessionId] = readdirSync(sessions).filter((n) => n.startsWith("fix-"));
    git(repo, "checkout", "--", "."); // the host goes back to its starting state; the session's patch is in the session
    const exit2 = join(sessions, "exit-2");
    const r = launch(["--resume", sessionId!, "--model-url", server.url, "--approval", "full-auto"], sessions, exit2);
    await r.waitFor("type a message to continue the conversation", 120_000);
    r.type("one more check, please");
    r.keys("Enter");
    await r.waitFor("$ cd /testbed && git status --short");
    await r.waitFor("M calc/parser.py");
    // The first request after --resume (the agent may already have sent the next one): the old conversation, then the message.
    const resumed = server
      .chatRequests("calc")
      .map((r) => r.body as { messages: Array<{ role: string; content: string }> })
      .find((body) => body.messages.at(-1)?.content === "one more check, please");
    expect(resumed?.messages.at(-1)).toEqual({ role: "user", content: "one more check, please" });
    expect(resumed?.messages.filter((m) => m.role === "assistant")).toHaveLength(7);
    r.keys("C-c");
    await r.waitFor("press Ctrl-C again to quit");
    r.keys("C-c");
    expect(await exitCode(exit2)).toBe(130);
    expect(containersOf(repo)).toEqual([]);
  }, 600_000);

  it("closing the terminal mid-session (SIGHUP) removes the container", async () => {
    const row = suite.rows.find((r) => r.instance_id === "bottega-fixtures__calc-1")!;
    const server = await suite.serve([{ name: "hangup", match: () => true, turns: [bash("cd /testbed && ls", "Looking around.")] }]);
    const repo = await fixRepo(row);
    const sessions = mkdtempSync(join(tmpdir(), "bottega-sessions-"));
    const t = launch([repo, "--model-url", server.url, "-m", TASK], sessions, join(sessions, "exit"));
    await t.waitFor("wants to run: a command", 120_000);
    expect(containersOf(repo)).toHaveLength(1);
    t.kill();
    await expect.poll(() => containersOf(repo), { timeout: 30_000, interval: 250 }).toEqual([]);
  }, 300_000);
});
