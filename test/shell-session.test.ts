import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDocker } from "../src/foundation/sandbox/docker/docker-engine.ts";
import { DockerSandbox } from "../src/foundation/sandbox/docker/docker-sandbox.ts";
import { BASE_IMAGE } from "../src/foundation/sandbox/docker/base-image.ts";
import { LABELS } from "../src/foundation/sandbox/owner.ts";
import type { ShellSession } from "../src/foundation/sandbox/sandbox.ts";

let box: DockerSandbox;
let shell: ShellSession;

beforeAll(async () => {
  box = await DockerSandbox.create(await connectDocker(), {
    image: BASE_IMAGE,
    network: "none",
    pidsLimit: 256,
    labels: { [LABELS.run]: "test-shell" },
  });
  shell = await box.openShell({ init: ["cd /tmp"] });
});

afterAll(async () => {
  await shell?.close();
  await box?.remove();
});

describe("persistent shell session", () => {
  it("runs init and keeps cwd and exported variables between commands", async () => {
    expect((await shell.run("pwd")).output).toBe("/tmp\n");
    await shell.run("mkdir -p /work/a && cd /work/a && export GREETING='hi there'");
    const result = await shell.run('echo "$GREETING from $(pwd)"');
    expect(result.output).toBe("hi there from /work/a\n");
    expect(result.cwd).toBe("/work/a");
    expect(result.exitCode).toBe(0);
  });

  it("returns exit codes and stderr, and output without a trailing newline as is", async () => {
    const failed = await shell.run("ls /nonexistent");
    expect(failed.exitCode).toBe(2);
    expect(failed.output).toContain("No such file or directory");
    expect((await shell.run("printf abc")).output).toBe("abc");
    expect((await shell.run("printf 'abc\\n'")).output).toBe("abc\n");
    expect((await shell.run("true")).output).toBe("");
  });

  it("passes commands with quotes, heredocs, '!' and long lines through untouched", async () => {
    const long = "x".repeat(20_000);
    const result = await shell.run(`cat <<'EOF'\nsay "hi!" it's $HOME \\n\n${long}\nEOF`);
    expect(result.output).toBe(`say "hi!" it's $HOME \\n\n${long}\n`);
  });

  it("does not let a command read the session's input", async () => {
    const result = await shell.run('read line; echo "got:[$line]"');
    expect(result.output).toBe("got:[]\n");
  });

  it("interrupts a command that outlives its timeout, loops included, and recovers", async () => {
    await shell.run("export KEEP=yes");
    const started = Date.now();
    const result = await shell.run("for i in 1 2 3; do sleep 30; done; echo after-loop", { timeoutMs: 1000 });
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBeNull();
    expect(result.output).not.toContain("after-loop");
    expect(Date.now() - started).toBeLessThan(6000);
    const next = await shell.run('echo "$KEEP"; ps -eo args | grep -c "^sleep 30" || true');
    expect(next.output).toBe("yes\n0\n");
  });

  it("kills a command that ignores Ctrl-C", async () => {
    const result = await shell.run("trap '' INT; sleep 60", { timeoutMs: 1000 });
    expect(result.timedOut).toBe(true);
    expect((await shell.run("echo alive")).output).toBe("alive\n");
  });

  it("caps the output of a command that prints a lot", async () => {
    const result = await shell.run("head -c 50000000 /dev/zero | tr '\\0' y; echo; echo END", { maxOutputBytes: 10_000 });
    expect(result.truncated).toBe(true);
    expect(result.totalBytes).toBeGreaterThan(50_000_000);
    expect(result.output.length).toBeLessThan(10_200);
    expect(result.output.endsWith("END\n")).toBe(true);
  });

  it("starts again in the same directory after the shell exits", async () => {
    await shell.run("cd /usr/lib");
    const exited = await shell.run("exit 3");
    expect(exited.restarted).toBe(true);
    const after = await shell.run("pwd");
    expect(after.output).toBe("/usr/lib\n");
  });
});

describe("persistent shell session prompts", () => {
  it("keeps prompts out of the output even after an environment changes PS1", async () => {
    const box2 = await DockerSandbox.create(await connectDocker(), {
      image: BASE_IMAGE,
      network: "none",
      labels: { [LABELS.run]: "test-shell" },
    });
    try {
      await box2.exec("python3 -m venv /tmp/venv");
      const session = await box2.openShell({ init: ["source /tmp/venv/bin/activate"] });
      expect((await session.run("echo $VIRTUAL_ENV")).output).toBe("/tmp/venv\n");
      await session.run("deactivate; source /tmp/venv/bin/activate");
      expect((await session.run("echo hi")).output).toBe("hi\n");
      await session.close();
    } finally {
      await box2.remove();
    }
  });
});

describe("persistent shell session input", () => {
  it("passes any bytes through the pty untouched: control characters, non-ASCII, quotes, a 300 KB command", async () => {
    const box2 = await DockerSandbox.create(await connectDocker(), {
      image: BASE_IMAGE,
      network: "none",
      labels: { [LABELS.run]: "test-shell" },
    });
    try {
      const session = await box2.openShell();
      const tricky = "a'b\"c\\\\d\x03e\x04f\x1ag\x7fh ñ 😀 %s $HOME `x`";
      const echoed = await session.run(`cat <<'EOF' | od -An -c | tr -s ' '\n${tricky}\nEOF`);
      await box2.writeFile("/tmp/expected", `${tricky}\n`);
      const expected = await box2.exec("od -An -c /tmp/expected | tr -s ' '");
      expect(echoed.output).toBe(expected.output);
      const big = "y".repeat(300_000);
      const result = await session.run(`printf '%s' '${big}' | wc -c`);
      expect(result.output.trim()).toBe("300000");
      await session.close();
    } finally {
      await box2.remove();
    }
  });
});
