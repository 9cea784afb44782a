import { existsSync, readFileSync } from "node:fs";
import path, { join } from "node:path";
import { fileURLToPath } from "node:url";
import { applyPatch } from "diff";
import { beforeAll, describe, expect, it } from "vitest";
import { fixtureRepoDir } from "../harness/images/fixture-repo.ts";
import type { TaskRow } from "../harness/dataset/task-row.ts";
import { toolCalls, type Conversation } from "../src/foundation/model/scripted/script.ts";
import type { FakeOpenAI } from "../src/foundation/model/scripted/server.ts";
import { readTrajectory, type Trajectory } from "../scaffold/trajectory.ts";
import { runCli } from "./support/cli.ts";
import { fixtureSuite } from "./support/fixture-suite.ts";

/**
 * A user's SWE-agent bundles end to end through the CLI: `bottega eval --swe-agent-root` with a
 * SWE-agent-style checkout (test/bundles/checkout: our own probe and submit bundles), the
 * scripted model answering with tool calls, a fixture image as the sandbox. The templates show
 * the state the bundle's state command writes after every step.
 */
const CHECKOUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "bundles/checkout");
const suite = fixtureSuite("bundles");
const ID = "bottega-fixtures__calc-1";
let row: TaskRow;

const TEMPLATES = path.join(CHECKOUT, "..", "probe-templates.json");
const call = (name: string, args: Record<string, unknown>) => toolCalls({ name, arguments: args });

/** The fixed file: the gold patch applied to the fixture's base. */
function fixedFile(): { path: string; content: string } {
  const file = /^diff --git a\/(\S+)/m.exec(row.patch)![1]!;
  const base = readFileSync(join(fixtureRepoDir(ID), file), "utf8");
  const fixed = applyPatch(base, row.patch);
  if (fixed === false) throw new Error("the gold patch does not apply to the fixture's base");
  return { path: `/testbed/${file}`, content: fixed };
}

function conversation(): Conversation {
  const fixed = fixedFile();
  return {
    name: ID,
    match: row.problem_statement,
    turns: [
      call("tally", { label: "it's", numbers: [4, 5], mode: "sum" }),
      // A multi-line tool: the text goes through a heredoc up to end_of_note, unquoted (the
      // line before end_of_note ends the file's last line).
      call("note_write", { path: fixed.path, text: fixed.content.slice(0, -1) }),
      call("bash", { command: "cd /tmp && printf 'moved'" }),
      call("bash", { command: "true" }),
      call("submit", {}),
    ],
  };
}

async function evalWith(server: FakeOpenAI, runId: string, bundles: string[] | null) {
  const choice = bundles ? ["--swe-agent-bundles", bundles.join(",")] : [];
  return runCli(
    suite.evalArgs(
      server,
      runId,
      "--instances",
      ID,
      "--action-format",
      "tools",
      "--templates",
      TEMPLATES,
      "--swe-agent-root",
      CHECKOUT,
      ...choice,
    ),
  );
}

describe("bottega eval --swe-agent-root: the checkout's bundles in the container", () => {
  let server: FakeOpenAI;
  let trajectory: Trajectory;

  beforeAll(async () => {
    row = suite.rows.find((r) => r.instance_id === ID)!;
    server = await suite.serve([conversation()]);
    const result = await evalWith(server, "bundles", ["tools/probe", "tools/submit"]);
    expect(result.code, result.stderr + result.stdout).toBe(0);
    trajectory = readTrajectory(join(suite.results, "bundles", "trajectories", `${ID}.json`));
  });

  it("records the observation mode (the checkout and its commit) in run.json and the trajectory", () => {
    const run = JSON.parse(readFileSync(join(suite.results, "bundles", "run.json"), "utf8"));
    const mode = run.config.observation_mode;
    expect(mode).toMatchObject({ kind: "bundles", checkout: CHECKOUT, bundles: [{ path: "tools/probe" }, { path: "tools/submit" }] });
    expect((mode as { commit: string | null }).commit).toMatch(/^[0-9a-f]{40}$/);
    expect(trajectory.config.observation_mode).toEqual(mode);
  });

  it("declares the bundles' tools from their config.yaml as SWE-agent does, and shows the first state in the task message", () => {
    const first = server.chatRequests(ID)[0]!.body as {
      messages: Array<{ role: string; content: string }>;
      tools: Array<{ function: { name: string } }>;
    };
    expect(first.tools.map((t) => t.function.name)).toEqual(["bash", "note_write", "tally", "submit"]);
    expect(first.tools[2]).toEqual({
      type: "function",
      function: {
        name: "tally",
        description: "Adds up whole numbers and prints the total under a label.",
        parameters: {
          type: "object",
          properties: {
            label: { type: "string", description: "Printed before the total." },
            numbers: { type: "array", description: "The numbers to add, e.g. [1, 2, 3].", items: { type: "integer" } },
            mode: { type: "string", description: "sum (the default) or count.", enum: ["sum", "count"] },
          },
          required: ["label"],
        },
      },
    });
    expect(first.tools[3]).toEqual({
      type: "function",
      function: {
        name: "submit",
        description: "Hands in every change made in the repository and ends the task.",
        parameters: { type: "object" },
      },
    });
    expect(first.messages[1]!.content).toBe(
      `<uploaded_files>\n/testbed\n</uploaded_files>\n<pr_description>\n${row.problem_statement}\n</pr_description>`,
    );
  });

  it("runs SWE-agent's command lines; observations are exactly what the executables printed; the state is read after each step", () => {
    const steps = trajectory.steps;
    expect(steps.map((s) => s.command_line)).toEqual([
      `tally 'it'"'"'s' --numbers 4 5 --mode sum`,
      // The XML value lost its final line break (SWE-agent's cleanup); the heredoc line adds it back.
      `note_write ${fixedFile().path}\n${fixedFile().content}end_of_note`,
      "cd /tmp && printf 'moved'",
      "true",
      "submit",
    ]);
    expect(steps[0]!.observation).toBe("[it's] sum of 2 number(s) = 9\n  args: <4> <5>");
    expect(steps[1]!.observation).toBe(
      `probe bundle ready: wrote ${Buffer.byteLength(fixedFile().content)} bytes to ${fixedFile().path}\n`,
    );
    expect(steps[2]!.observation).toBe("moved");
    expect(steps[3]!.observation).toBe("");
    // State: 1 after the install, then one more per step.
    expect(steps.map((s) => s.state)).toEqual([
      { working_dir: "/testbed", probe_state_calls: "2" },
      { working_dir: "/testbed", probe_state_calls: "3" },
      { working_dir: "/tmp", probe_state_calls: "4" },
      { working_dir: "/tmp", probe_state_calls: "5" },
      { working_dir: "/tmp", probe_state_calls: "6" },
    ]);
    // ... and fills the next-step templates the model is sent.
    const requests = server.chatRequests(ID).map((r) => (r.body as { messages: Array<{ role: string; content: string }> }).messages);
    expect(requests[1]!.at(-1)).toMatchObject({
      role: "tool",
      content: "OBSERVATION:\n[it's] sum of 2 number(s) = 9\n  args: <4> <5>\n[state: /testbed #2]",
    });
    expect(requests[3]!.at(-1)).toMatchObject({ role: "tool", content: "OBSERVATION:\nmoved\n[state: /tmp #4]" });
    expect(requests[4]!.at(-1)).toMatchObject({ role: "tool", content: "(no output) [state: /tmp #5]" });
  });

  it("submits through the bundle's submit: the patch is the agent's fix and is graded resolved", () => {
    expect(trajectory.exit_status).toBe("submitted");
    expect(trajectory.steps.at(-1)!.observation).toBe(trajectory.patch);
    const report = JSON.parse(readFileSync(join(suite.results, "bundles", "report.json"), "utf8"));
    expect(report.resolved_ids).toEqual([ID]);
  });
});

describe("a config whose bundles cannot be used stops before the run starts", () => {
  it("a bundle whose install.sh fails: exit 2, naming the bundle, its folder and what it printed; no episode ran", async () => {
    const server = await suite.serve([conversation()]);
    const result = await evalWith(server, "bundles-broken", ["tools/probe", "tools/probe_broken", "tools/submit"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `bundle probe_broken (${join(CHECKOUT, "tools/probe_broken")}): install.sh (exit code 1) failed:\nprobe_broken: the build step failed on purpose`,
    );
    expect(server.chatRequests(ID)).toHaveLength(0);
    expect(existsSync(join(suite.results, "bundles-broken", "trajectories", `${ID}.json`))).toBe(false);
  });

  it("a checkout without a bundle it is asked for: exit 2, naming the bundle and the path", async () => {
    const server = await suite.serve([conversation()]);
    // SWE-smith's bundles by default: the test checkout has no tools/registry.
    const result = await evalWith(server, "bundles-missing", null);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `--swe-agent-root: bundle tools/registry (${join(CHECKOUT, "tools/registry")}): the checkout ${CHECKOUT} has no such bundle folder`,
    );
    expect(server.chatRequests(ID)).toHaveLength(0);
  });
});
