import { lookup } from "node:dns/promises";
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";

/**
 * The agent's only way out in `--agent-network allowlist` mode: an HTTP proxy (CONNECT for
 * HTTPS, absolute-URI requests for plain HTTP) that forwards to allowlisted hosts only. Agent
 * containers sit on an internal network whose one reachable address is this proxy, so a
 * package index works through HTTP(S)_PROXY and everything else is refused before any
 * connection is made.
 */
export const DEFAULT_ALLOWED_HOSTS = ["pypi.org", "files.pythonhosted.org", "conda.anaconda.org", "repo.anaconda.com"] as const;

export interface EgressDecision {
  host: string;
  port: number;
  allowed: boolean;
  reason: string;
}

export interface EgressProxy {
  host: string;
  port: number;
  /** Every request seen, in order (what was asked, and why it was or was not forwarded). */
  decisions: EgressDecision[];
  close(): Promise<void>;
}

/** 169.254.0.0/16 (cloud metadata lives at .169.254) and fe80::/10 are never forwarded to. */
function isLinkLocal(address: string): boolean {
  if (net.isIPv4(address)) return address.startsWith("169.254.");
  const lower = address.toLowerCase();
  if (lower.startsWith("::ffff:")) return isLinkLocal(lower.slice(7));
  return /^fe[89ab]/.test(lower);
}

function isPrivateOrLoopback(address: string): boolean {
  if (net.isIPv4(address)) {
    const [a, b] = address.split(".").map(Number) as [number, number];
    return (
      a === 10 ||
      a === 127 ||
      a === 0 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  const lower = address.toLowerCase();
  if (lower.startsWith("::ffff:")) return isPrivateOrLoopback(lower.slice(7));
  return lower === "::1" || lower === "::" || /^f[cd]/.test(lower);
}

/** "pypi.org" allows pypi.org; ".pythonhosted.org" allows any subdomain of it. */
function hostAllowed(host: string, allowed: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, "");
  return allowed.some((entry) => {
    const e = entry.toLowerCase();
    return e.startsWith(".") ? h.endsWith(e) || h === e.slice(1) : h === e;
  });
}

/**
 * Decides a destination and resolves it to the address to connect to. A name must be
 * allowlisted, and what it resolves to must not be link-local, nor private or loopback unless
 * that address itself is allowlisted (so a DNS answer cannot smuggle the agent into the host's
 * own network).
 */
async function resolveDestination(
  host: string,
  port: number,
  allowed: readonly string[],
): Promise<{ address?: string; decision: EgressDecision }> {
  const deny = (reason: string) => ({ decision: { host, port, allowed: false, reason } });
  const bare = host.replace(/^\[|\]$/g, "");
  if (isLinkLocal(bare)) return deny("link-local addresses (cloud metadata) are never reachable");
  if (!hostAllowed(bare, allowed)) return deny(`${bare} is not in the allowlist (${allowed.join(", ")})`);
  let address = bare;
  if (!net.isIP(bare)) {
    try {
      address = (await lookup(bare)).address;
    } catch (error) {
      return deny(`${bare} does not resolve: ${(error as Error).message}`);
    }
  }
  if (isLinkLocal(address)) return deny(`${bare} resolves to link-local ${address}`);
  if (isPrivateOrLoopback(address) && !hostAllowed(address, allowed)) return deny(`${bare} resolves to private address ${address}`);
  return { address, decision: { host: bare, port, allowed: true, reason: `forwarded to ${address}` } };
}

function splitHostPort(target: string, defaultPort: number): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(target);
  return { host: match?.[1] ?? target, port: match?.[2] ? Number(match[2]) : defaultPort };
}

/** Starts the proxy on `listenHost` (the internal network's gateway address, in production). */
export async function startEgressProxy(options: {
  listenHost: string;
  port?: number;
  allowedHosts: readonly string[];
}): Promise<EgressProxy> {
  const decisions: EgressDecision[] = [];
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  };
  const refuse = (decision: EgressDecision) => `bottega egress proxy refused ${decision.host}:${decision.port}: ${decision.reason}\n`;

  const server = http.createServer(async (request, response) => {
    let url: URL;
    try {
      url = new URL(request.url ?? "");
    } catch {
      response.writeHead(400).end("bottega egress proxy: only absolute http:// URLs and CONNECT are proxied\n");
      return;
    }
    const { address, decision } = await resolveDestination(url.hostname, Number(url.port || 80), options.allowedHosts);
    decisions.push(decision);
    if (!address || url.protocol !== "http:") {
      response.writeHead(403, { "content-type": "text/plain" }).end(refuse(decision));
      return;
    }
    const upstream = http.request(
      {
        host: address,
        port: decision.port,
        method: request.method,
        path: `${url.pathname}${url.search}`,
        headers: { ...request.headers, host: url.host },
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on("error", (error) =>
      response.headersSent ? response.destroy() : response.writeHead(502).end(`bottega egress proxy: ${error.message}\n`),
    );
    request.pipe(upstream);
  });

  server.on("connect", async (request: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    track(client);
    client.on("error", () => client.destroy());
    const { host, port } = splitHostPort(request.url ?? "", 443);
    const { address, decision } = await resolveDestination(host, port, options.allowedHosts);
    decisions.push(decision);
    if (!address) {
      client.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\n\r\n${refuse(decision)}`);
      return;
    }
    const upstream = net.connect({ host: address, port }, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    track(upstream);
    upstream.on("error", (error) => client.end(`HTTP/1.1 502 Bad Gateway\r\n\r\nbottega egress proxy: ${error.message}\n`));
  });
  server.on("connection", track);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.listenHost, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  return {
    host: options.listenHost,
    port: bound.port,
    decisions,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
