import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type Docker from "dockerode";
import { connectDocker } from "../src/foundation/sandbox/docker/docker-engine.ts";
import { DockerSandbox } from "../src/foundation/sandbox/docker/docker-sandbox.ts";
import { SandboxFileNotFound } from "../src/foundation/sandbox/errors.ts";
import { LABELS } from "../src/foundation/sandbox/owner.ts";
import { BASE_IMAGE } from "../src/foundation/sandbox/docker/base-image.ts";

let docker: Docker;
let box: DockerSandbox;

beforeAll(async () => {
  docker = await connectDocker();
  box = await DockerSandbox.create(docker, {
    image: BASE_IMAGE,
    labels: { [LABELS.run]: "test-sandbox", [LABELS.instance]: "sandbox" },
    network: "none",
    memoryBytes: 512 * 1024 * 1024,
    pidsLimit: 128,
    cpus: 1,
  });
});

afterAll(async () => {
  await box?.remove();
});

describe("DockerSandbox", () => {
  it("runs a command and returns its combined output and exit code", async () => {
    // stdout and stderr are separate pipes: only a pause makes their arrival order certain.
    const result = await box.exec("echo out; sleep 0.2; echo err >&2; exit 3");
    expect(result.exitCode).toBe(3);
    expect(result.output).toBe("out\nerr\n");
    expect(result.timedOut).toBe(false);
    expect(result.truncated).toBe(false);
  });

  it("honours cwd and env", async () => {
    const result = await box.exec('pwd; echo "$GREETING"', { cwd: "/usr", env: { GREETING: "hello there" } });
    expect(result.output).toBe("/usr\nhello there\n");
  });

  it("sets the limits and the labels it was asked for", async () => {
    const info = await docker.getContainer(box.id).inspect();
    expect(info.HostConfig.NetworkMode).toBe("none");
    expect(info.HostConfig.Memory).toBe(512 * 1024 * 1024);
    expect(info.HostConfig.PidsLimit).toBe(128);
    expect(info.HostConfig.NanoCpus).toBe(1e9);
    expect(info.Config.Labels[LABELS.run]).toBe("test-sandbox");
    expect(info.Config.Labels[LABELS.owner]).toContain(`:${process.pid}:`);
  });

  it("kills a timed-out command and its children inside the container", async () => {
    const started = Date.now();
    const result = await box.exec("sleep 300 & sleep 301; echo never", { timeoutMs: 1500 });
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBeNull();
    expect(result.output).not.toContain("never");
    expect(Date.now() - started).toBeLessThan(8000);
    const ps = await box.exec("ps -eo args | grep -c '^sleep 30[01]' || true");
    expect(ps.output.trim()).toBe("0");
  });

  it("caps output while it streams, keeping head and tail", async () => {
    const before = process.memoryUsage().rss;
    const result = await box.exec("head -c 300000000 /dev/zero | tr '\\0' 'x'; echo; echo THE-END", {
      maxOutputBytes: 64 * 1024,
    });
    const grown = process.memoryUsage().rss - before;
    expect(result.exitCode).toBe(0);
    expect(result.truncated).toBe(true);
    expect(result.totalBytes).toBe(300_000_000 + 1 + 8);
    expect(result.raw.length).toBeLessThan(64 * 1024 + 100);
    expect(result.output.startsWith("xxxx")).toBe(true);
    expect(result.output.endsWith("THE-END\n")).toBe(true);
    expect(result.output).toMatch(/bytes of output omitted/);
    expect(grown).toBeLessThan(64 * 1024 * 1024);
  });

  it("writes files with their parents and reads them back", async () => {
    const bytes = Buffer.from([0, 1, 2, 255, 10]);
    await box.writeFile("/work/deep/nested/data.bin", bytes);
    expect(await box.readFile("/work/deep/nested/data.bin")).toEqual(bytes);
    await box.writeFile("/tmp/script.sh", "#!/bin/sh\necho ran\n", 0o755);
    expect((await box.exec("/tmp/script.sh")).output).toBe("ran\n");
    const tmp = await box.exec("stat -c %a /tmp");
    expect(tmp.output.trim()).toBe("1777");
  });

  it("reports a missing file as SandboxFileNotFound", async () => {
    await expect(box.readFile("/no/such/file")).rejects.toBeInstanceOf(SandboxFileNotFound);
  });

  it("removes the container, and a second remove is harmless", async () => {
    const other = await DockerSandbox.create(docker, { image: BASE_IMAGE, network: "none", labels: { [LABELS.run]: "test-sandbox" } });
    await other.remove();
    await other.remove();
    await expect(docker.getContainer(other.id).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe("DockerBackend.reapDead", () => {
  it("removes the containers of a process killed with SIGKILL and leaves live ones", async () => {
    const { spawn } = await import("node:child_process");
    const { openSandboxBackend } = await import("../src/foundation/sandbox/open-backend.ts");
    const backend = await openSandboxBackend("docker");
    const script = `
      import { connectDocker } from "./src/foundation/sandbox/docker/docker-engine.ts";
      import { DockerSandbox } from "./src/foundation/sandbox/docker/docker-sandbox.ts";
      const docker = await connectDocker();
      const box = await DockerSandbox.create(docker, { image: "${BASE_IMAGE}", network: "none", labels: { "bottega.run": "test-reaper" } });
      console.log(box.id);
      setInterval(() => {}, 1000);
    `;
    const child = spawn("npx", ["tsx", "--input-type=module", "-e", script], {
      cwd: process.cwd(),
      stdio: ["ignore", "pipe", "inherit"],
      detached: true,
    });
    const id = await new Promise<string>((resolve) => child.stdout.once("data", (data: Buffer) => resolve(data.toString().trim())));
    // npx → tsx → node: kill the whole group so the owner really dies.
    process.kill(-child.pid!, "SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    // The owner label names the node process, which dies with the group.
    for (
      let i = 0;
      i < 50 &&
      (await docker
        .getContainer(id)
        .inspect()
        .then(
          () => true,
          () => false,
        ));
      i++
    ) {
      const reaped = await backend.reapDead();
      if (reaped.some((r) => r.id === id)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await expect(docker.getContainer(id).inspect()).rejects.toMatchObject({ statusCode: 404 });
    // Our own live container survives the reaper.
    expect((await docker.getContainer(box.id).inspect()).State.Running).toBe(true);
  });
});
