import { execFileSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { WebSocketServer } from "ws";
import { stringify } from "yaml";
import { bridgeExec } from "./exec-bridge.ts";
import { parseFieldSelector, parseLabelSelector, SelectorError } from "./label-selector.ts";
import { type Pod, PodRegistry } from "./pod-registry.ts";
import { PodRunner } from "./pod-runner.ts";
import { validatePod } from "./pod-validation.ts";

/** The protocols the exec endpoint speaks, best first. */
const EXEC_PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io"];

/** A scripted fault for the next pod creation: an error status, or the pod stored but the response lost. */
export type CreateFault = 429 | 500 | 503 | "drop-response";

export interface KubeApiServer {
  /** https://127.0.0.1:port */
  readonly url: string;
  /** A kubeconfig file for this server (certificate authority, token, namespace). */
  readonly kubeconfigPath: string;
  readonly namespace: string;
  readonly registry: PodRegistry;
  /** Requests seen, as "METHOD path" (query omitted), for tests that count API calls. */
  readonly requests: string[];
  /** Faults applied to the next pod creations, in order. */
  readonly createFaults: CreateFault[];
  close(): Promise<void>;
}

/** The v1 Status body the API server sends with every error. */
export function statusBody(code: number, reason: string, message: string, details?: Record<string, unknown>): Record<string, unknown> {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, ...(details ? { details } : {}), code };
}

const REASONS: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  404: "NotFound",
  405: "MethodNotAllowed",
  409: "AlreadyExists",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
};

function sendJson(response: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(code, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...headers });
  response.end(text);
}

function sendStatus(
  response: ServerResponse,
  code: number,
  message: string,
  details?: Record<string, unknown>,
  headers?: Record<string, string>,
): void {
  sendJson(response, code, statusBody(code, REASONS[code] ?? "Unknown", message, details), headers);
}

/** A self-signed certificate for 127.0.0.1, made with openssl for this server only. */
function makeCertificate(dir: string): { key: Buffer; cert: Buffer } {
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=bottega-test-kube-api",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
    ],
    { stdio: "ignore" },
  );
  return { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) };
}

const POD_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods(?:\/([^/]+)(?:\/(exec))?)?$/;

/**
 * A Kubernetes API server for tests, over TLS on 127.0.0.1 with a bearer token, implementing
 * only what the Kubernetes sandbox uses: pods (create, get, list and watch by label or field
 * selector, delete) and exec over WebSocket. Pods run as real Docker containers.
 */
export async function startKubeApiServer(
  options: {
    namespace?: string;
    docker?: Docker;
    /** Exec protocols offered, best first: ["v4.channel.k8s.io"] plays a cluster older than 1.30. */
    execProtocols?: string[];
    /** The node's kubelet setting podPidsLimit: processes per pod (unset: unlimited, the kubelet's default). */
    podPidsLimit?: number;
  } = {},
): Promise<KubeApiServer> {
  const protocols = options.execProtocols ?? EXEC_PROTOCOLS;
  const namespace = options.namespace ?? "bottega-test";
  const namespaces = new Set(["default", namespace]);
  const docker = options.docker ?? new Docker();
  const registry = new PodRegistry();
  const runner = new PodRunner(docker, registry, randomBytes(6).toString("hex"), { podPidsLimit: options.podPidsLimit });
  await runner.reapOrphans();
  const token = randomBytes(24).toString("hex");
  const dir = mkdtempSync(join(tmpdir(), "bottega-kube-api-"));
  const requests: string[] = [];
  const createFaults: CreateFault[] = [];
  const watches = new Set<ServerResponse>();
  const sockets = new Set<Socket>();

  const authorized = (request: IncomingMessage) => request.headers.authorization === `Bearer ${token}`;

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "https://127.0.0.1");
    requests.push(`${request.method} ${url.pathname}`);
    if (!authorized(request)) return sendStatus(response, 401, "Unauthorized");
    const match = POD_PATH.exec(url.pathname);
    if (!match) return sendStatus(response, 404, "the server could not find the requested resource");
    const [, ns, name, sub] = match as unknown as [string, string, string | undefined, string | undefined];
    if (!namespaces.has(ns)) return sendStatus(response, 404, `namespaces "${ns}" not found`, { name: ns, kind: "namespaces" });
    if (sub === "exec") return sendStatus(response, 400, "Upgrade request required");
    const body = request.method === "POST" ? await readBody(request) : undefined;

    if (!name && request.method === "GET") {
      let labels: ReturnType<typeof parseLabelSelector>;
      let fields: ReturnType<typeof parseFieldSelector>;
      try {
        labels = parseLabelSelector(url.searchParams.get("labelSelector") ?? undefined);
        fields = parseFieldSelector(url.searchParams.get("fieldSelector") ?? undefined);
      } catch (error) {
        if (error instanceof SelectorError) return sendStatus(response, 400, error.message);
        throw error;
      }
      const matches = (pod: Pod) => labels(pod.metadata.labels ?? {}) && fields(pod);
      const watch = url.searchParams.get("watch");
      if (watch === "true" || watch === "1") return startWatch(response, ns, matches, url.searchParams);
      return sendJson(response, 200, {
        kind: "PodList",
        apiVersion: "v1",
        metadata: { resourceVersion: registry.resourceVersion },
        items: registry.list(ns, matches),
      });
    }
    if (!name && request.method === "POST") return createPod(response, ns, body!);
    if (name && request.method === "GET") {
      const pod = registry.get(ns, name);
      return pod ? sendJson(response, 200, pod) : sendStatus(response, 404, `pods "${name}" not found`, { name, kind: "pods" });
    }
    if (name && request.method === "DELETE") {
      const pod = registry.update(ns, name, (stored) => {
        stored.metadata.deletionTimestamp ??= new Date().toISOString().replace(/\.\d+Z$/, "Z");
        stored.metadata.deletionGracePeriodSeconds = 0;
      });
      if (!pod) return sendStatus(response, 404, `pods "${name}" not found`, { name, kind: "pods" });
      sendJson(response, 200, pod);
      await runner.stop(ns, name);
      registry.remove(ns, name);
      return;
    }
    return sendStatus(response, 405, `the server does not allow this method on the requested resource`);
  };

  const createPod = (response: ServerResponse, ns: string, body: Buffer) => {
    let pod: Pod;
    try {
      pod = JSON.parse(body.toString()) as Pod;
    } catch (error) {
      return sendStatus(response, 400, `the body of the request was in an unknown format: ${(error as Error).message}`);
    }
    if (pod?.kind !== "Pod" || pod.apiVersion !== "v1")
      return sendStatus(
        response,
        400,
        `the API version in the data (${pod?.apiVersion}) does not match the expected API version (v1) or kind (${pod?.kind}) is not Pod`,
      );
    pod.metadata ??= {} as Pod["metadata"];
    if (!pod.metadata.name && typeof pod.metadata.generateName === "string")
      pod.metadata.name = `${pod.metadata.generateName}${randomBytes(3).toString("hex").slice(0, 5)}`;
    const invalid = validatePod(pod);
    if (invalid.length > 0) {
      const message = `Pod "${pod.metadata.name ?? ""}" is invalid: ${invalid.map((cause) => `${cause.field}: ${cause.message}`).join(", ")}`;
      return sendStatus(response, 422, message, {
        name: pod.metadata.name,
        kind: "Pod",
        causes: invalid.map((cause) => ({ reason: "FieldValueInvalid", ...cause })),
      });
    }
    if (pod.metadata.namespace && pod.metadata.namespace !== ns)
      return sendStatus(response, 400, "the namespace of the provided object does not match the namespace sent on the request");
    const fault = createFaults.shift();
    if (fault === 429)
      return sendStatus(response, 429, "Too many requests, please try again later.", { retryAfterSeconds: 1 }, { "Retry-After": "1" });
    if (fault === 500 || fault === 503) return sendStatus(response, fault, "etcdserver: request timed out");
    if (registry.get(ns, pod.metadata.name))
      return sendStatus(response, 409, `pods "${pod.metadata.name}" already exists`, { name: pod.metadata.name, kind: "pods" });
    pod.metadata.namespace = ns;
    pod.metadata.uid = randomUUID();
    pod.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    pod.spec.restartPolicy ??= "Always";
    pod.spec.containers = pod.spec.containers.map((container) => ({
      imagePullPolicy: container.image.endsWith(":latest") || !container.image.includes(":") ? "Always" : "IfNotPresent",
      ...container,
    }));
    pod.status = { phase: "Pending" };
    const stored = registry.add(pod);
    runner.run(pod);
    if (fault === "drop-response") return response.socket?.destroy();
    sendJson(response, 201, stored);
  };

  const startWatch = (response: ServerResponse, ns: string, matches: (pod: Pod) => boolean, params: URLSearchParams) => {
    response.writeHead(200, { "Content-Type": "application/json", "Transfer-Encoding": "chunked" });
    const send = (type: string, object: unknown) => response.write(`${JSON.stringify({ type, object })}\n`);
    const stop = registry.watch(ns, matches, params.get("resourceVersion") ?? undefined, send);
    if (stop === "expired") {
      send("ERROR", statusBody(410, "Expired", `too old resource version: ${params.get("resourceVersion")} (${registry.resourceVersion})`));
      return response.end();
    }
    watches.add(response);
    const timeout = Number(params.get("timeoutSeconds") ?? 1800);
    const timer = setTimeout(() => response.end(), timeout * 1000);
    response.on("close", () => {
      clearTimeout(timer);
      stop();
      watches.delete(response);
    });
  };

  const server: Server = createServer(makeCertificate(dir), (request, response) => {
    handle(request, response).catch((error: Error) => {
      if (!response.headersSent) sendStatus(response, 500, error.message);
      else response.destroy();
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => protocols.find((p) => offered.has(p)) ?? false });
  server.on("upgrade", (request: IncomingMessage, socket: Socket, head: Buffer) => {
    const url = new URL(request.url ?? "/", "https://127.0.0.1");
    requests.push(`${request.method} ${url.pathname}`);
    const refuse = (code: number, message: string) => {
      const text = JSON.stringify(statusBody(code, REASONS[code] ?? "Unknown", message));
      socket.end(
        `HTTP/1.1 ${code} ${REASONS[code]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
      );
    };
    if (!authorized(request)) return refuse(401, "Unauthorized");
    const match = POD_PATH.exec(url.pathname);
    if (match?.[3] !== "exec") return refuse(404, "the server could not find the requested resource");
    const [, ns, name] = match as unknown as [string, string, string];
    const pod = registry.get(ns, name);
    if (!pod) return refuse(404, `pods "${name}" not found`);
    const offered = (request.headers["sec-websocket-protocol"] ?? "").split(",").map((p) => p.trim());
    if (!protocols.some((p) => offered.includes(p)))
      return refuse(400, `no supported subprotocol in "${offered.join(", ")}": this server speaks ${protocols.join(", ")}`);
    const flag = (key: string) => ["true", "1"].includes(url.searchParams.get(key) ?? "");
    const exec = {
      command: url.searchParams.getAll("command"),
      stdin: flag("stdin"),
      stdout: flag("stdout"),
      stderr: flag("stderr"),
      tty: flag("tty"),
    };
    if (exec.command.length === 0) return refuse(400, "you must specify at least one command for the container");
    if (!exec.stdin && !exec.stdout && !exec.stderr) return refuse(400, "you must specify at least 1 of stdin, stdout, stderr");
    const containerName = url.searchParams.get("container") ?? pod.spec.containers[0]!.name;
    if (!pod.spec.containers.some((c) => c.name === containerName))
      return refuse(400, `container ${containerName} is not valid for pod ${name}`);
    const container = runner.container(ns, name);
    if (pod.status.phase === "Succeeded" || pod.status.phase === "Failed")
      return refuse(400, `cannot exec into a container in a completed pod; current phase is ${pod.status.phase}`);
    if (!container || pod.status.phase !== "Running")
      return refuse(400, `unable to upgrade connection: container not found ("${containerName}")`);
    wss.handleUpgrade(request, socket, head, (ws) => void bridgeExec(container, exec, ws).catch(() => ws.terminate()));
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfigPath = join(dir, "kubeconfig.yaml");
  writeFileSync(
    kubeconfigPath,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        {
          name: "bottega-test",
          cluster: { server: url, "certificate-authority-data": readFileSync(join(dir, "cert.pem")).toString("base64") },
        },
      ],
      users: [{ name: "bottega-test", user: { token } }],
      contexts: [{ name: "bottega-test", context: { cluster: "bottega-test", user: "bottega-test", namespace } }],
      "current-context": "bottega-test",
    }),
  );

  return {
    url,
    kubeconfigPath,
    namespace,
    registry,
    requests,
    createFaults,
    async close() {
      for (const response of watches) response.end();
      for (const client of wss.clients) client.terminate();
      await runner.close();
      for (const socket of sockets) socket.destroy();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}
