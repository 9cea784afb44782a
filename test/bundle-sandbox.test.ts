import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDocker } from "../src/foundation/sandbox/docker/docker-engine.ts";
import { DockerSandbox } from "../src/foundation/sandbox/docker/docker-sandbox.ts";
import { BASE_IMAGE } from "../src/foundation/sandbox/docker/base-image.ts";
import { LABELS } from "../src/foundation/sandbox/owner.ts";
import type { ShellSession } from "../src/foundation/sandbox/sandbox.ts";
import { loadBundleSet } from "../scaffold/bundles/bundle-set.ts";
import { BundleInstallError, installBundles } from "../scaffold/bundles/bundle-install.ts";
import { createBundleTools, type BundleToolResult } from "../scaffold/bundles/bundle-tools.ts";
import type { ToolContext } from "../scaffold/tools/tool.ts";

const CHECKOUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "bundles/checkout");

const boxes: DockerSandbox[] = [];
const shells: ShellSession[] = [];
async function freshSandbox(): Promise<{ box: DockerSandbox; shell: ShellSession; context: ToolContext }> {
  const box = await DockerSandbox.create(await connectDocker(), {
    image: BASE_IMAGE,
    network: "none",
    pidsLimit: 256,
    labels: { [LABELS.run]: "test-bundle-sandbox" },
  });
  boxes.push(box);
  await box.exec("mkdir -p /testbed");
  const shell = await box.openShell({ init: ["cd /testbed"] });
  shells.push(shell);
  return { box, shell, context: { sandbox: box, repoRoot: "/testbed", shell: (command, options) => shell.run(command, options) } };
}

afterAll(async () => {
  await Promise.all(shells.map((s) => s.close()));
  await Promise.all(boxes.map((b) => b.remove()));
});

describe("a user's bundle installed and run in the sandbox", () => {
  let env: Awaited<ReturnType<typeof freshSandbox>>;
  let firstState: Record<string, unknown>;
  const set = loadBundleSet(CHECKOUT, [{ path: "tools/probe" }]);

  beforeAll(async () => {
    env = await freshSandbox();
    firstState = await installBundles(env.box, env.shell, set, {
      problemStatement: "Fix the 'tally'\nbug.",
      registryVariables: { USE_FILEMAP: "true", STAGE: 0 },
      envVariables: { PAGER: "cat", PROBE_FLAG: true },
    });
  });

  it("uploads the bundle, puts bin/ on PATH, sources install.sh in the agent's shell and exports the variables", async () => {
    expect((await env.box.exec("ls -l /root/tools/probe/bin | awk 'NR>1 {print $1, $NF}'")).output).toBe(
      "-rwxr-xr-x _probe_state\n-rwxr-xr-x note_write\n-rwxr-xr-x tally\n",
    );
    const shellView = await env.shell.run(
      'echo "$PATH|$PROBE_HOME|$PROBE_BANNER|$PROBE_FLAG|$LANG|$(pwd)"; printf %s "$PROBLEM_STATEMENT"',
    );
    expect(shellView.output).toMatch(
      /^\/root\/tools\/probe\/bin:[^|]+\|\/root\/tools\/probe\|probe bundle ready\|True\|C\.UTF-8\|\/testbed\nFix the 'tally'\nbug\.$/,
    );
    expect((await env.shell.run('printf %s "$ROOT"')).output).toBe("/testbed");
    expect((await env.box.readFile("/root/.swe-agent-env")).toString()).toBe('{"USE_FILEMAP": "true", "STAGE": 0}');
    expect((await env.box.readFile("/root/.probe_installed")).toString()).toBe("installed\n");
  });

  it("reads the first state from the state command, before any step", () => {
    expect(firstState).toEqual({ working_dir: "/testbed", probe_state_calls: "1" });
  });

  it("runs each call as SWE-agent's command line; the observation is exactly what the executable printed; the state follows each step", async () => {
    const tools = createBundleTools(set, { timeoutMs: 30_000 });
    expect(tools.map((t) => t.name)).toEqual(["bash", "note_write", "tally"]);
    const [bash, noteWrite, tally] = tools as [(typeof tools)[0], (typeof tools)[0], (typeof tools)[0]];

    const tallied = (await tally.run({ label: "it's", numbers: ["4", "5"], mode: "sum" }, env.context)) as BundleToolResult;
    expect(tallied.commandLine).toBe(`tally 'it'"'"'s' --numbers 4 5 --mode sum`);
    expect(tallied.output).toBe("[it's] sum of 2 number(s) = 9\n  args: <4> <5>");
    expect(tallied.state).toEqual({ working_dir: "/testbed", probe_state_calls: "2" });

    const wrote = (await noteWrite.run({ path: "/tmp/note.txt", text: "alpha\n  'beta' $HOME\n" }, env.context)) as BundleToolResult;
    expect(wrote.commandLine).toBe("note_write /tmp/note.txt\nalpha\n  'beta' $HOME\n\nend_of_note");
    expect(wrote.output).toBe("probe bundle ready: wrote 22 bytes to /tmp/note.txt\n");
    expect((await env.box.readFile("/tmp/note.txt")).toString()).toBe("alpha\n  'beta' $HOME\n\n");

    const moved = (await bash.run({ command: "cd /tmp && printf 'in %s' \"$PWD\"" }, env.context)) as BundleToolResult;
    expect(moved.output).toBe("in /tmp");
    expect(moved.state).toEqual({ working_dir: "/tmp", probe_state_calls: "4" });

    const refused = (await bash.run({ command: "vim x" }, env.context)) as BundleToolResult;
    expect(refused).toMatchObject({ output: "Operation 'vim x' is not supported by this environment.", isError: true, state: null });
  });

  it("takes the submission from /root/model.patch when a tool prints the marker", async () => {
    const tools = createBundleTools(set, { timeoutMs: 30_000 });
    await env.box.writeFile("/root/model.patch", "diff --git a/x b/x\n");
    const submitted = await tools[0]!.run({ command: "echo '<<SWE_AGENT_SUBMISSION>>'" }, env.context);
    expect(submitted).toMatchObject({ output: "diff --git a/x b/x\n", submitted: true });
  });
});

describe("a bundle that cannot be installed", () => {
  it("names the bundle, its folder and what install.sh printed", async () => {
    const { box, shell } = await freshSandbox();
    const set = loadBundleSet(CHECKOUT, [{ path: "tools/probe" }, { path: "tools/probe_broken" }]);
    const error = await installBundles(box, shell, set, { problemStatement: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BundleInstallError);
    expect((error as BundleInstallError).bundle).toBe("probe_broken");
    expect((error as Error).message).toBe(
      `bundle probe_broken (${path.join(CHECKOUT, "tools/probe_broken")}): install.sh (exit code 1) failed:\nprobe_broken: the build step failed on purpose`,
    );
  });
});
