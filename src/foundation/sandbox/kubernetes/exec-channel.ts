import type { KubeConfig } from "@kubernetes/client-node";
import WebSocket from "ws";
import { ContainerGoneError, EngineUnavailableError, SandboxError } from "../errors.ts";
import { unreachable } from "./kube-errors.ts";

/** Channels of the Kubernetes streaming protocols: the first byte of every binary message. */
const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const CLOSE = 255;

/** v5 adds a close signal for stdin; v4 is what clusters older than 1.30 speak. */
const PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io"];

export interface ExecTarget {
  namespace: string;
  pod: string;
  container: string;
}

/** A command running in a pod through the exec API. */
export interface ExecChannel {
  /** Sends bytes to the command's stdin (when opened with stdin). */
  write(data: Buffer | string): void;
  /** Closes the command's stdin (v5 only; v4 has no way short of closing the socket). */
  endInput(): void;
  /** Closes the socket. The remote command goes on running: only a kill inside the pod stops it. */
  close(): void;
  /** The command's exit code from the status channel; rejects when the stream ends without one. */
  readonly exited: Promise<number>;
}

/** The exit code carried by a v1 Status from the status channel. */
function exitCodeOf(status: {
  status?: string;
  reason?: string;
  message?: string;
  details?: { causes?: Array<{ reason?: string; message?: string }> };
}): number | Error {
  if (status.status === "Success") return 0;
  const cause = status.details?.causes?.find((c) => c.reason === "ExitCode");
  if (status.reason === "NonZeroExitCode" && cause?.message !== undefined) return Number(cause.message);
  return new SandboxError(`the command could not run in the pod: ${status.message ?? JSON.stringify(status)}`, { status });
}

/**
 * Opens an exec stream. Output arrives through `onOutput` as it streams (stdout and stderr in
 * arrival order); the promise resolves once the WebSocket is open.
 */
export async function openExec(
  config: KubeConfig,
  target: ExecTarget,
  command: string[],
  options: { stdin?: boolean; tty?: boolean; onOutput: (data: Buffer) => void },
): Promise<ExecChannel> {
  const server = config.getCurrentCluster()!.server.replace(/\/+$/, "");
  const query = new URLSearchParams();
  for (const arg of command) query.append("command", arg);
  query.set("container", target.container);
  query.set("stdin", String(options.stdin === true));
  query.set("stdout", "true");
  query.set("stderr", String(options.tty !== true));
  query.set("tty", String(options.tty === true));
  const url = `${server.replace(/^http/, "ws")}/api/v1/namespaces/${encodeURIComponent(target.namespace)}/pods/${encodeURIComponent(target.pod)}/exec?${query}`;
  const socketOptions: WebSocket.ClientOptions = {};
  await config.applyToHTTPSOptions(socketOptions);
  const socket = new WebSocket(url, PROTOCOLS, socketOptions);
  const context = { pod: target.pod, namespace: target.namespace };

  let settle!: { resolve: (code: number) => void; reject: (error: Error) => void };
  const exited = new Promise<number>((resolve, reject) => (settle = { resolve, reject }));
  // Callers may only look at `exited` after output handling; never let it be an unhandled rejection.
  exited.catch(() => {});
  let result: number | Error | undefined;

  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("unexpected-response", (_request, response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        let message = Buffer.concat(chunks).toString();
        try {
          message = (JSON.parse(message) as { message?: string }).message ?? message;
        } catch {
          // Not a Status: keep the text.
        }
        const status = response.statusCode ?? 0;
        const what = `starting a command in pod ${target.pod}`;
        // 400 for a pod whose container has ended (deadline, OOM, eviction): gone as much as a deleted one.
        if (status === 404 || (status === 400 && /completed pod|container not found/.test(message))) {
          reject(new ContainerGoneError(`${what}: the pod is gone (${message})`, context));
        } else if (status === 429 || status >= 500)
          reject(new EngineUnavailableError(`${what}: the API server answered ${status} (${message})`, context));
        else reject(new SandboxError(`${what}: HTTP ${status}: ${message}`, context));
      });
    });
    socket.once("error", (error) => {
      if (unreachable(error))
        reject(
          new EngineUnavailableError(
            `starting a command in pod ${target.pod}: the Kubernetes API server did not answer (${(error as { code?: string }).code})`,
            context,
            { cause: error },
          ),
        );
      else reject(new SandboxError(`starting a command in pod ${target.pod}: ${error.message}`, context, { cause: error }));
    });
  });

  socket.on("message", (data: Buffer, isBinary: boolean) => {
    if (!isBinary || data.length === 0) return;
    const channel = data[0];
    if (channel === STDOUT || channel === STDERR) options.onOutput(data.subarray(1));
    else if (channel === STATUS && data.length > 1) result = exitCodeOf(JSON.parse(data.subarray(1).toString()));
  });
  socket.on("error", () => {
    // Reported through "close".
  });
  socket.on("close", () => {
    if (typeof result === "number") settle.resolve(result);
    else if (result instanceof Error) settle.reject(result);
    else settle.reject(new ContainerGoneError(`the exec stream of pod ${target.pod} closed without an exit status`, context));
  });

  return {
    write: (data) => {
      if (socket.readyState !== WebSocket.OPEN) return;
      const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data);
      socket.send(Buffer.concat([Buffer.from([STDIN]), bytes]));
    },
    endInput: () => {
      if (socket.readyState === WebSocket.OPEN && socket.protocol === PROTOCOLS[0]) socket.send(Buffer.from([CLOSE, STDIN]));
    },
    close: () => {
      if (socket.readyState === WebSocket.CONNECTING || socket.readyState === WebSocket.OPEN) socket.close(1000);
      else socket.terminate();
    },
    exited,
  };
}
