import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEgressProxy, type EgressProxy } from "../src/foundation/sandbox/egress-proxy.ts";

/** A CONNECT through the proxy; resolves with the proxy's status line and what followed. */
function connectThrough(proxy: EgressProxy, target: string, send?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(proxy.port, proxy.host, () => socket.write(`CONNECT ${target} HTTP/1.1\r\nhost: ${target}\r\n\r\n`));
    let received = "";
    socket.on("data", (chunk) => {
      received += chunk.toString();
      if (send && received.includes("200 Connection Established\r\n\r\n") && !received.includes("HTTP/1.1 200 OK")) {
        socket.write(send);
        send = undefined;
      }
      if (received.includes("hello from upstream")) socket.end();
    });
    socket.on("end", () => resolve(received));
    socket.on("error", reject);
  });
}

function getThrough(proxy: EgressProxy, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: proxy.host, port: proxy.port, path: url, headers: { host: new URL(url).host } }, (response) => {
      let body = "";
      response.on("data", (chunk) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on("error", reject);
    request.end();
  });
}

let upstream: http.Server;
let upstreamPort: number;
let proxy: EgressProxy;

beforeAll(async () => {
  upstream = http.createServer((_, response) => response.end("hello from upstream"));
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", () => resolve()));
  upstreamPort = (upstream.address() as AddressInfo).port;
  proxy = await startEgressProxy({ listenHost: "127.0.0.1", allowedHosts: ["127.0.0.1"] });
});
afterAll(async () => {
  await proxy.close();
  await new Promise((resolve) => upstream.close(resolve));
});

describe("the egress proxy of allowlist mode", () => {
  it("forwards plain HTTP and CONNECT to an allowlisted host", async () => {
    expect(await getThrough(proxy, `http://127.0.0.1:${upstreamPort}/simple/`)).toEqual({ status: 200, body: "hello from upstream" });
    const tunnel = await connectThrough(proxy, `127.0.0.1:${upstreamPort}`, "GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    expect(tunnel).toMatch(/^HTTP\/1.1 200 Connection Established/);
    expect(tunnel).toContain("hello from upstream");
  });

  it("refuses the cloud metadata address and hosts off the list, without connecting", async () => {
    const metadata = await connectThrough(proxy, "169.254.169.254:80");
    expect(metadata).toMatch(/^HTTP\/1.1 403 Forbidden/);
    expect(metadata).toContain("link-local");
    const plainMetadata = await getThrough(proxy, "http://169.254.169.254/latest/meta-data/");
    expect(plainMetadata.status).toBe(403);
    // Not on the list: refused before any DNS look-up, so nothing leaves this machine.
    const other = await connectThrough(proxy, "example.com:443");
    expect(other).toMatch(/^HTTP\/1.1 403 Forbidden/);
    expect(other).toContain("not in the allowlist");
    expect(proxy.decisions.filter((d) => !d.allowed).map((d) => d.host)).toEqual(["169.254.169.254", "169.254.169.254", "example.com"]);
  });
});
