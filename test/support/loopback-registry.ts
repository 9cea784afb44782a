import net from "node:net";
import type { AddressInfo } from "node:net";

/** The registry `.ci/start-registry` starts, and the test images it pushes there. */
export const REGISTRY = process.env.BOTTEGA_REGISTRY ?? "127.0.0.1:5000";
export const TEST_REPO = "bottega-test";
export const FIXTURE_COPY_TEMPLATE = `${REGISTRY}/${TEST_REPO}/sweb.eval.x86_64.{docker_id}:latest`;
export const fixtureCopy = (dockerId: string, registry = REGISTRY) => `${registry}/${TEST_REPO}/sweb.eval.x86_64.${dockerId}:latest`;

/** Whether the registry answers and holds the fixture copies; the reason when it does not. */
export async function registryMissing(): Promise<string | null> {
  try {
    const response = await fetch(`http://${REGISTRY}/v2/_catalog`, { signal: AbortSignal.timeout(2_000) });
    const { repositories = [] } = (await response.json()) as { repositories?: string[] };
    if (!repositories.some((name) => name.startsWith(`${TEST_REPO}/sweb.eval.x86_64.bottega-fixtures_1776_`))) {
      return `the registry at ${REGISTRY} holds no ${TEST_REPO}/ fixture copies (run .ci/start-registry)`;
    }
    return null;
  } catch {
    return `no registry answers at ${REGISTRY} (run .ci/start-registry)`;
  }
}

/** The digest the registry gives an image's manifest, as `docker pull` records it in RepoDigests. */
export async function manifestDigest(repository: string, tag: string): Promise<string> {
  const response = await fetch(`http://${REGISTRY}/v2/${repository}/manifests/${tag}`, {
    method: "HEAD",
    headers: { accept: "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json" },
  });
  const digest = response.headers.get("docker-content-digest");
  if (!response.ok || !digest) throw new Error(`${repository}:${tag}: no manifest digest (HTTP ${response.status})`);
  return digest;
}

export interface DyingRegistry {
  /** host:port, a registry on 127.0.0.1 (so dockerd speaks plain HTTP to it). */
  address: string;
  /** Resolves once it has stopped. */
  stopped: Promise<void>;
  /** Listens again on the same port, forwarding as before. */
  revive(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The registry behind a TCP relay that stops it mid-pull: once `afterBytes` of responses have
 * gone through, every connection is cut and the port closed, as when the registry process dies.
 */
export async function dyingRegistry(afterBytes: number): Promise<DyingRegistry> {
  const [host, port] = REGISTRY.split(":") as [string, string];
  const sockets = new Set<net.Socket>();
  let forwarded = 0;
  let dying = true;
  let onStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (onStopped = resolve));
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), host);
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.pipe(upstream);
    upstream.on("data", (chunk: Buffer) => {
      forwarded += chunk.length;
      if (dying && forwarded >= afterBytes) {
        stop();
        return;
      }
      client.write(chunk);
    });
  });
  const stop = () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    server.close(() => onStopped());
  };
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const listenPort = (server.address() as AddressInfo).port;
  return {
    address: `127.0.0.1:${listenPort}`,
    stopped,
    revive: () =>
      new Promise<void>((resolve) => {
        dying = false;
        server.listen(listenPort, "127.0.0.1", resolve);
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        if (server.listening) server.close(() => resolve());
        else resolve();
      }),
  };
}
