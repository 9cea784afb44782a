import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSandboxBackend } from "../src/foundation/sandbox/open-backend.ts";
import type { SandboxBackend } from "../src/foundation/sandbox/sandbox-backend.ts";
import { BASE_IMAGE } from "../src/foundation/sandbox/sandbox-backend.ts";

/** What an agent container can reach in each network mode. Needs root (iptables) and the base image. */
const root = process.getuid?.() === 0;
if (!root) console.warn("SKIPPED test/agent-network.test.ts: allowlist mode changes the host's firewall and needs root");

let upstream: http.Server;
let upstreamPort: number;
beforeAll(async () => {
  upstream = http.createServer((_, response) => response.end("index page"));
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", () => resolve()));
  upstreamPort = (upstream.address() as AddressInfo).port;
});
afterAll(() => new Promise((resolve) => upstream.close(resolve)));

/** Python inside the container: one line per target, "<name> <outcome>". */
const probe = (gatewayPort: number) => `python3 - <<'EOF'
import os, socket, urllib.request
for name in ("no_proxy", "NO_PROXY"): os.environ.pop(name, None)  # the test's "package index" is on 127.0.0.1
proxy = urllib.request.build_opener(urllib.request.ProxyHandler({"http": os.environ["HTTP_PROXY"]}))
def fetch(name, url):
    try:
        print(name, "ok", proxy.open(url, timeout=10).read().decode())
    except Exception as e:
        print(name, "refused", getattr(e, "code", e))
fetch("allowed", "http://127.0.0.1:${upstreamPort}/simple/")
fetch("metadata-via-proxy", "http://169.254.169.254/latest/meta-data/")
fetch("other-via-proxy", "http://example.com/")
gateway = os.environ["HTTP_PROXY"].split("//")[1].split(":")[0]
for name, host, port in [("metadata-direct", "169.254.169.254", 80), ("host-port", gateway, ${gatewayPort})]:
    s = socket.socket(); s.settimeout(3)
    try:
        s.connect((host, port)); print(name, "REACHED")
    except socket.timeout:
        print(name, "dropped")
    except OSError as e:
        print(name, "error", e)
EOF`;

describe.skipIf(!root)("agent networks", () => {
  let backend: SandboxBackend;
  afterAll(async () => backend?.removeAll());

  it("allowlist: package hosts through the proxy, nothing else, not even the host's other ports", async () => {
    const runId = `net-${randomBytes(3).toString("hex")}`;
    backend = await openSandboxBackend("docker", { runId, network: { agent: "allowlist" }, agent: { allowHosts: ["127.0.0.1"] } });
    const sandbox = await backend.create({ image: BASE_IMAGE, role: "agent" });
    const result = await sandbox.exec(probe(upstreamPort + 1), { timeoutMs: 60_000 });
    const lines = Object.fromEntries(
      result.output
        .trim()
        .split("\n")
        .map((line) => [line.split(" ")[0], line.slice(line.indexOf(" ") + 1)]),
    );
    expect(lines.allowed, result.output).toBe("ok index page");
    expect(lines["metadata-via-proxy"]).toBe("refused 403");
    expect(lines["other-via-proxy"]).toBe("refused 403");
    expect(lines["metadata-direct"]).toMatch(/^dropped$|^error .*unreachable/i);
    // The host answers on the proxy's port only: anything else is dropped, not refused.
    expect(lines["host-port"]).toBe("dropped");
    await backend.removeAll();
    // The network and its firewall rules go with the run.
    expect(
      execFileSync("docker", ["network", "ls", "-q", "--filter", `label=bottega.run=${runId}`])
        .toString()
        .trim(),
    ).toBe("");
    expect(execFileSync("iptables", ["-S", "INPUT"]).toString()).not.toContain(`bottega`);
  });

  it("bridge: the metadata address is dropped by the host's firewall", async () => {
    backend = await openSandboxBackend("docker", { runId: `net-${randomBytes(3).toString("hex")}`, network: { agent: "bridge" } });
    const sandbox = await backend.create({ image: BASE_IMAGE, role: "agent" });
    await sandbox.remove();
    expect(() => execFileSync("iptables", ["-w", "-C", "DOCKER-USER", "-d", "169.254.169.254/32", "-j", "DROP"])).not.toThrow();
  });
});
