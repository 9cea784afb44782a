import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { fixtureRepoDir } from "../harness/images/fixture-repo.ts";
import { readTrajectory } from "../scaffold/trajectory.ts";
import { episodeConversation } from "../src/foundation/model/scripted/recorded-episodes.ts";
import { runCli } from "./support/cli.ts";
import { fixRepo, git, hostTests } from "./support/fix-repo.ts";
import { fixtureSuite } from "./support/fixture-suite.ts";
import { episodeFromPatch } from "./support/scripted-episode.ts";

/**
 * `bottega fix --headless` through the CLI: a temporary git repository made from a fixture, the
 * real openai client in the CLI against the scripted server here, a real container.
 */
const suite = fixtureSuite("fix-headless");
const TASK = "Chained subtraction and division give wrong results: 10 - 4 - 3 is 9.";

function conversation(match: string) {
  const row = suite.rows.find((r) => r.instance_id === "bottega-fixtures__calc-1")!;
  const actions = episodeFromPatch(row.patch, fixtureRepoDir(row.instance_id));
  return { row, conversation: episodeConversation({ instance_id: match, description: "", actions }, match) };
}

describe("bottega fix --headless", () => {
  it("fixes a local repository in a container: JSON result with the patch, session saved in the run format, export works", async () => {
    const { row, conversation: c } = conversation(TASK);
    const server = await suite.serve([c]);
    const repo = await fixRepo(row);
    const sessions = mkdtempSync(join(tmpdir(), "bottega-sessions-"));
    expect(hostTests(repo).code).not.toBe(0); // the bug is there

    const result = await runCli([
      "fix",
      repo,
      "--headless",
      "-m",
      TASK,
      "--approval",
      "full-auto",
      "--output-format",
      "json",
      "--model-url",
      server.url,
      "--sessions",
      sessions,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.exit_status).toBe("submitted");
    expect(out.exit_code).toBe(0);
    expect(out.patch).toBe(row.patch); // exactly the agent's edits: the test commit on the host is not in it
    expect(out.applied).toBeNull();
    expect(out.steps).toBe(c.turns.length);
    // Nothing changed on the host.
    expect(git(repo, "status", "--porcelain")).toBe("");

    const trajectory = readTrajectory(out.trajectory_path);
    expect(trajectory.exit_status).toBe("submitted");
    expect(trajectory.task.repo_root).toBe("/testbed");
    const exported = await runCli(["export", "--results", sessions, "--run-id", out.session_id]);
    expect(exported.code, exported.stderr).toBe(0);
    const records = readFileSync(join(sessions, out.session_id, "export.chat.jsonl"), "utf8")
      .trim()
      .split("\n");
    expect(records).toHaveLength(1);

    const listed = await runCli(["fix", "--list", "--sessions", sessions]);
    expect(listed.stdout).toContain(out.session_id);
    expect(listed.stdout).toContain("submitted");
  }, 600_000);

  it("a SIGTERM mid-session stops the agent, removes the container and exits 130", async () => {
    const { row, conversation: c } = conversation(TASK);
    // Slow replies: the session is still waiting for the model when it is stopped.
    const server = await suite.serve([c], { latencyMs: 60_000 });
    const repo = await fixRepo(row);
    const sessions = mkdtempSync(join(tmpdir(), "bottega-sessions-"));
    const containers = () =>
      execFileSync("docker", ["ps", "-aq", "--filter", `label=bottega.instance=${basename(repo)}`], { encoding: "utf8" })
        .split("\n")
        .filter(Boolean);
    let stopped = false;
    const result = await runCli(["fix", repo, "--headless", "-m", TASK, "--model-url", server.url, "--sessions", sessions], {
      onStderr: (err, child) => {
        // Once the agent has its container and waits for the model.
        if (!stopped && err.includes("copying")) {
          stopped = true;
          setTimeout(() => child.kill("SIGTERM"), 1500);
        }
      },
    });
    expect(stopped).toBe(true);
    expect(result.code, result.stderr).toBe(130);
    expect(containers()).toEqual([]);
  }, 300_000);

  it("--apply writes the fix into the host repository and its tests pass; refuses when a touched file changed meanwhile", async () => {
    const { row, conversation: c } = conversation(TASK);
    const server = await suite.serve([c]);
    const repo = await fixRepo(row);
    const sessions = mkdtempSync(join(tmpdir(), "bottega-sessions-"));
    const applied = await runCli(["fix", repo, "--headless", "-m", TASK, "--apply", "--model-url", server.url, "--sessions", sessions]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stderr).toContain("applied to");
    expect(git(repo, "diff")).toBe(row.patch.replace(/^index .*\n/m, git(repo, "diff").match(/^index .*\n/m)![0]));
    expect(hostTests(repo)).toMatchObject({ code: 0 });

    // The same run again, while the user edits calc/parser.py on the host: --apply refuses (exit 4).
    git(repo, "checkout", "--", ".");
    const server2 = await suite.serve([c]);
    const edited = await runCli(
      [
        "fix",
        repo,
        "--headless",
        "-m",
        TASK,
        "--apply",
        "--output-format",
        "stream-json",
        "--model-url",
        server2.url,
        "--sessions",
        sessions,
      ],
      {
        onStdout: (text) => {
          // The first step has run: the container holds its copy; now the host file changes.
          if (text.includes('"type":"step"') && !readFileSync(join(repo, "calc/parser.py"), "utf8").includes("# host edit")) {
            writeFileSync(join(repo, "calc/parser.py"), readFileSync(join(repo, "calc/parser.py"), "utf8") + "# host edit\n");
          }
        },
      },
    );
    expect(edited.code, edited.stderr).toBe(4);
    const lines = edited.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines[0].type).toBe("session_started");
    expect(lines.filter((l) => l.type === "step")).toHaveLength(c.turns.length);
    const final = lines.at(-1);
    expect(final.type).toBe("result");
    expect(final.applied).toBe(false);
    expect(final.apply_message).toContain("calc/parser.py changed");
    expect(final.patch).toBe(row.patch);
    expect(readFileSync(join(repo, "calc/parser.py"), "utf8")).toContain("# host edit");
  }, 600_000);

  it("exit codes: 3 at the step limit (patch so far printed), 2 for usage errors", async () => {
    const { row, conversation: c } = conversation(TASK);
    const server = await suite.serve([c]);
    const repo = await fixRepo(row);
    const sessions = mkdtempSync(join(tmpdir(), "bottega-sessions-"));
    const limited = await runCli([
      "fix",
      repo,
      "--headless",
      "-m",
      TASK,
      "--max-steps",
      "2",
      "--model-url",
      server.url,
      "--sessions",
      sessions,
    ]);
    expect(limited.code, limited.stderr).toBe(3);
    expect(limited.stderr).toContain("exit_step_limit");

    const usage = await runCli(["fix", repo, "--headless", "-m", TASK, "--approval", "suggest", "--model-url", server.url]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("--headless runs with no one to approve actions");
    const notRepo = await runCli(["fix", tmpdir(), "--headless", "-m", TASK, "--model-url", server.url]);
    expect(notRepo.code).toBe(2);
    expect(notRepo.stderr).toContain("is not inside a git repository");
  }, 600_000);
});

describe("bottega fix --instance", () => {
  it("works on a SWE-bench instance in its own image with its problem statement, and --grade grades it with the official rules", async () => {
    const row = suite.rows.find((r) => r.instance_id === "bottega-fixtures__textfmt-2")!;
    const actions = episodeFromPatch(row.patch, fixtureRepoDir(row.instance_id));
    const server = await suite.serve([
      episodeConversation({ instance_id: row.instance_id, description: "", actions }, row.problem_statement.slice(0, 60)),
    ]);
    const sessions = mkdtempSync(join(tmpdir(), "bottega-sessions-"));
    const result = await runCli([
      "fix",
      "--instance",
      row.instance_id,
      "--headless",
      "--grade",
      "--output-format",
      "json",
      "--model-url",
      server.url,
      "--sessions",
      sessions,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.exit_status).toBe("submitted");
    expect(out.patch).toBe(row.patch);
    expect(out.grade).toMatchObject({ resolved: true, error: null });
    expect(readFileSync(join(out.grade.log_dir, "report.json"), "utf8")).toContain('"resolved": true');
    const first = server.chatRequests(row.instance_id)[0]!.body as { messages: Array<{ content: string }> };
    expect(first.messages[1]!.content).toContain(row.problem_statement);
  }, 600_000);
});
