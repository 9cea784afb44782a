import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ContainerSpec } from "../../src/foundation/sandbox/container-spec.ts";
import { SandboxFileNotFound } from "../../src/foundation/sandbox/errors.ts";
import { LABELS } from "../../src/foundation/sandbox/owner.ts";
import type { Sandbox, ShellSession } from "../../src/foundation/sandbox/sandbox.ts";
import type { SandboxBackend, SandboxBackendConfigInput } from "../../src/foundation/sandbox/sandbox-backend.ts";
import { BASE_IMAGE } from "../../src/foundation/sandbox/docker/base-image.ts";
import { PROJECT_ROOT } from "./cli.ts";

/** What the contract needs of a back end, beyond the Sandbox interface itself. */
export interface ContractBackend {
  create(spec: ContainerSpec): Promise<Sandbox>;
  /** Whether the back end still has the sandbox (a container, a pod not being deleted). */
  exists(id: string): Promise<boolean>;
  /** The back end's reaper: removes sandboxes of dead owners, returns their ids. */
  reap(): Promise<Array<{ id: string }>>;
  /**
   * A module body, run in a child process, that creates a sandbox from `image` with `labels`,
   * prints its id and idles, so the test can kill its owner.
   */
  childScript(image: string, labels: Record<string, string>): string;
  /** Extra environment for that child (e.g. KUBECONFIG). */
  childEnv?: Record<string, string>;
  /** The back end itself, opened with `config`: what makes a sandbox of a role (its containment). */
  openBackend(config: SandboxBackendConfigInput): Promise<SandboxBackend>;
}

/** Prints the limit of the sandbox's memory cgroup (v2, else v1). */
const MEMORY_LIMIT = "cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes";
/**
 * What the containment takes away, probed from inside: raw sockets (NET_RAW, as the red-team
 * probe), device nodes (MKNOD), and a setuid-root copy of `id` run by nobody, whose effective
 * uid stays nobody's under no_new_privs.
 */
const PROBE_PRIVILEGES = [
  `python3 -c "import socket\ntry: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); print('raw=open')\nexcept PermissionError: print('raw=denied')"`,
  "mknod /tmp/probe-dev b 8 0 2>/dev/null; echo mknod=$?",
  "grep NoNewPrivs /proc/self/status",
  "cp /usr/bin/id /tmp/suid-id && chmod 4755 /tmp/suid-id",
].join("; ");

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(200);
  }
  return check();
}

/**
 * The behaviour every sandbox back end owes the agent and the grader, run against each one
 * (test/sandbox-contract.test.ts). `setup` gives the back end once the suite starts.
 */
export function sandboxContract(name: string, setup: () => Promise<ContractBackend>, teardown: () => Promise<void> = async () => {}): void {
  describe(`sandbox contract: ${name}`, () => {
    let backend: ContractBackend;
    let box: Sandbox;
    let shell: ShellSession;
    const run = `contract-${name}`;

    beforeAll(async () => {
      backend = await setup();
      box = await backend.create({
        image: BASE_IMAGE,
        labels: { [LABELS.run]: run, [LABELS.instance]: "contract", [LABELS.role]: "agent" },
        network: "none",
        memoryBytes: 512 * 1024 * 1024,
        pidsLimit: 256,
        cpus: 1,
      });
      shell = await box.openShell({ init: ["cd /tmp"] });
    }, 120_000);

    afterAll(async () => {
      await shell?.close();
      await box?.remove();
      await teardown();
    }, 60_000);

    it("runs a command: combined output in order, exit code, cwd and env", async () => {
      const result = await box.exec("echo out; sleep 0.2; echo err >&2; exit 3");
      expect(result).toMatchObject({ exitCode: 3, output: "out\nerr\n", timedOut: false, truncated: false, totalBytes: 8 });
      const where = await box.exec('pwd; echo "$GREETING"', { cwd: "/usr", env: { GREETING: "hello 'there'" } });
      expect(where.output).toBe("/usr\nhello 'there'\n");
      expect((await box.exec("id -u", { user: "root" })).output).toBe("0\n");
    });

    it("kills a timed-out command and its children inside the sandbox", async () => {
      const started = Date.now();
      const result = await box.exec("sleep 300 & sleep 301; echo never", { timeoutMs: 1500 });
      expect(result.timedOut).toBe(true);
      expect(result.exitCode).toBeNull();
      expect(result.output).not.toContain("never");
      expect(Date.now() - started).toBeLessThan(8000);
      const ps = await box.exec("ps -eo args | grep -c '^sleep 30[01]' || true");
      expect(ps.output.trim()).toBe("0");
    });

    it("caps output while it streams, keeping head and tail, in bounded memory", async () => {
      const before = process.memoryUsage().rss;
      const result = await box.exec("head -c 100000000 /dev/zero | tr '\\0' 'x'; echo; echo THE-END", { maxOutputBytes: 64 * 1024 });
      expect(result.exitCode).toBe(0);
      expect(result.truncated).toBe(true);
      expect(result.totalBytes).toBe(100_000_000 + 1 + 8);
      expect(result.raw.length).toBeLessThan(64 * 1024 + 100);
      expect(result.output.startsWith("xxxx")).toBe(true);
      expect(result.output.endsWith("THE-END\n")).toBe(true);
      expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
    }, 120_000);

    it("writes files with their parents and modes and reads them back, byte for byte", async () => {
      const bytes = Buffer.from([0, 1, 2, 255, 10, 13, 0]);
      await box.writeFile("/work/deep/nested/data.bin", bytes);
      expect(await box.readFile("/work/deep/nested/data.bin")).toEqual(bytes);
      await box.writeFile("/tmp/script.sh", "#!/bin/sh\necho ran\n", 0o755);
      expect((await box.exec("/tmp/script.sh")).output).toBe("ran\n");
      expect((await box.exec("stat -c %a /tmp")).output.trim()).toBe("1777");
      const big = Buffer.alloc(6 * 1024 * 1024);
      for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
      await box.writeFile("/tmp/big.bin", big);
      expect((await box.exec("wc -c < /tmp/big.bin")).output.trim()).toBe(String(big.length));
      expect((await box.readFile("/tmp/big.bin")).equals(big)).toBe(true);
      await box.writeFile("/tmp/with space/ünï'code.txt", "ok");
      expect((await box.readFile("/tmp/with space/ünï'code.txt")).toString()).toBe("ok");
    }, 60_000);

    it("reports a missing file as SandboxFileNotFound", async () => {
      await expect(box.readFile("/no/such/file")).rejects.toBeInstanceOf(SandboxFileNotFound);
    });

    it("keeps a persistent shell: cwd and exports survive, exit codes and output as is", async () => {
      expect((await shell.run("pwd")).output).toBe("/tmp\n");
      await shell.run("mkdir -p /work/a && cd /work/a && export GREETING='hi there'");
      const result = await shell.run('echo "$GREETING from $(pwd)"');
      expect(result).toMatchObject({ output: "hi there from /work/a\n", cwd: "/work/a", exitCode: 0 });
      expect((await shell.run("ls /nonexistent")).exitCode).toBe(2);
      expect((await shell.run("printf abc")).output).toBe("abc");
      const long = "x".repeat(20_000);
      expect((await shell.run(`cat <<'EOF'\nsay "hi!" it's $HOME\n${long}\nEOF`)).output).toBe(`say "hi!" it's $HOME\n${long}\n`);
    });

    it("interrupts a shell command at its timeout, loops included, and the session goes on", async () => {
      await shell.run("export KEEP=yes");
      const started = Date.now();
      const result = await shell.run("for i in 1 2 3; do sleep 30; done; echo after-loop", { timeoutMs: 1000 });
      expect(result).toMatchObject({ timedOut: true, exitCode: null });
      expect(result.output).not.toContain("after-loop");
      expect(Date.now() - started).toBeLessThan(8000);
      expect((await shell.run('echo "$KEEP"; ps -eo args | grep -c "^sleep 30" || true')).output).toBe("yes\n0\n");
    });

    it("stops a shell command when the caller aborts, and the session goes on", async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 500);
      const started = Date.now();
      const result = await shell.run("sleep 40; echo finished", { signal: controller.signal });
      expect(result.interrupted).toBe(true);
      expect(result.exitCode).toBeNull();
      expect(result.output).not.toContain("finished");
      expect(Date.now() - started).toBeLessThan(6000);
      expect((await shell.run('echo "$KEEP"')).output).toBe("yes\n");
    });

    it("caps shell output and starts the shell again after `exit`", async () => {
      const capped = await shell.run("head -c 20000000 /dev/zero | tr '\\0' y; echo; echo END", { maxOutputBytes: 10_000 });
      expect(capped.truncated).toBe(true);
      expect(capped.totalBytes).toBeGreaterThan(20_000_000);
      expect(capped.output.endsWith("END\n")).toBe(true);
      await shell.run("cd /usr/lib");
      expect((await shell.run("exit 3")).restarted).toBe(true);
      expect((await shell.run("pwd")).output).toBe("/usr/lib\n");
    }, 60_000);

    it("destroys a sandbox, twice harmlessly, and ends a command running in it", async () => {
      const other = await backend.create({ image: BASE_IMAGE, network: "none", labels: { [LABELS.run]: run, [LABELS.role]: "eval" } });
      expect(await backend.exists(other.id)).toBe(true);
      const running = other.exec("sleep 120").then(
        () => "returned",
        () => "rejected",
      );
      await sleep(500);
      await other.remove();
      await other.remove();
      expect(await Promise.race([running, sleep(15_000).then(() => "still running")])).not.toBe("still running");
      expect(await eventually(async () => !(await backend.exists(other.id)), 30_000)).toBe(true);
    }, 60_000);

    it("contains an agent sandbox (no raw sockets, no device nodes, no_new_privs, its memory) and leaves a grading one as the harness's", async () => {
      const sandboxes = await backend.openBackend({
        runId: `${run}-containment`,
        network: { agent: "none", grade: "none", build: "none" },
        agent: { memoryBytes: 300 * 2 ** 20 },
      });
      try {
        const [agent, grade] = await Promise.all([
          sandboxes.create({ image: BASE_IMAGE, role: "agent", instanceId: "containment" }),
          sandboxes.create({ image: BASE_IMAGE, role: "grade", instanceId: "containment" }),
        ]);
        const agentProbe = (await agent.exec(PROBE_PRIVILEGES)).output;
        expect(agentProbe).toContain("raw=denied");
        expect(agentProbe).toContain("mknod=1");
        expect(agentProbe).toMatch(/NoNewPrivs:\s*1/);
        expect((await agent.exec("/tmp/suid-id -u", { user: "nobody" })).output).toBe("65534\n");
        expect((await agent.exec(MEMORY_LIMIT)).output.trim()).toBe(String(300 * 2 ** 20));
        // A command the kernel kills for memory is the sandbox's memory breach, named with its limit.
        expect(agent.limitBreach?.()).toBeUndefined();
        const shell = await agent.openShell();
        const hog = await shell.run(`python3 -c "a = []\nwhile True: a.append(bytearray(10**7))"`, { timeoutMs: 60_000 });
        expect(hog.timedOut).toBe(false);
        expect(agent.limitBreach?.()).toEqual({
          limit: "memory",
          message: expect.stringMatching(/killed for memory.*300 MiB \(--memory\)/),
        });
        await shell.close();

        const gradeProbe = (await grade.exec(PROBE_PRIVILEGES)).output;
        expect(gradeProbe).toContain("raw=open");
        expect(gradeProbe).toContain("mknod=0");
        expect(gradeProbe).toMatch(/NoNewPrivs:\s*0/);
        expect((await grade.exec("/tmp/suid-id -u", { user: "nobody" })).output).toBe("0\n");
        expect((await grade.exec(MEMORY_LIMIT)).output.trim()).not.toBe(String(300 * 2 ** 20));
      } finally {
        await sandboxes.removeAll();
      }
    }, 120_000);

    it("reaps the sandboxes of a process killed with SIGKILL and leaves live ones", async () => {
      const script = backend.childScript(BASE_IMAGE, { [LABELS.run]: `${run}-reaper`, [LABELS.instance]: "orphan" });
      const child = spawn("npx", ["tsx", "--input-type=module", "-e", script], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, ...backend.childEnv },
        stdio: ["ignore", "pipe", "inherit"],
        detached: true,
      });
      const id = await new Promise<string>((resolve) => child.stdout.once("data", (data: Buffer) => resolve(data.toString().trim())));
      process.kill(-child.pid!, "SIGKILL");
      await new Promise((resolve) => child.once("exit", resolve));
      expect(await backend.exists(id)).toBe(true);
      let reaped: Array<{ id: string }> = [];
      for (let i = 0; i < 50 && !reaped.some((r) => r.id === id); i++) {
        reaped = await backend.reap();
        if (!reaped.some((r) => r.id === id)) await sleep(100);
      }
      expect(reaped.map((r) => r.id)).toContain(id);
      expect(await eventually(async () => !(await backend.exists(id)), 30_000)).toBe(true);
      expect(await backend.exists(box.id)).toBe(true);
    }, 90_000);
  });
}
