import type { Duplex } from "node:stream";
import type Docker from "dockerode";
import type { WebSocket } from "ws";

/** The channels of the Kubernetes streaming protocols (v4 and v5.channel.k8s.io). */
export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, status: 3, resize: 4, close: 255 } as const;

/** Output waiting in the socket beyond which the command's output is paused (flow control). */
const HIGH_WATER = 4 * 1024 * 1024;

export interface ExecRequest {
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** The v1 Status a kubelet sends on the status channel when the command has ended. */
export function exitStatus(command: string[], exitCode: number): Record<string, unknown> {
  if (exitCode === 0) return { metadata: {}, status: "Success" };
  return {
    metadata: {},
    status: "Failure",
    message: `command terminated with non-zero exit code: error executing command [${command.join(" ")}], exit code ${exitCode}`,
    reason: "NonZeroExitCode",
    details: { causes: [{ reason: "ExitCode", message: String(exitCode) }] },
  };
}

/**
 * Runs one exec request as a Docker exec and bridges it to the WebSocket: stdin from channel 0
 * (v5 closes it with a close frame for channel 0), stdout and stderr on channels 1 and 2, the
 * exit status as a v1 Status on channel 3, then a normal close. A client that goes away
 * leaves the command running, as on a real node.
 */
export async function bridgeExec(container: Docker.Container, request: ExecRequest, socket: WebSocket): Promise<void> {
  const v5 = socket.protocol === "v5.channel.k8s.io";
  // Messages can arrive before the Docker exec exists: hold them until it does.
  const early: Buffer[] = [];
  let onMessage = (data: Buffer) => void early.push(data);
  socket.on("message", (data: Buffer, isBinary: boolean) => {
    if (isBinary && data.length > 0) onMessage(data);
  });
  let clientGone = false;
  socket.on("close", () => (clientGone = true));
  let stream: Duplex;
  let exec: Docker.Exec;
  try {
    exec = await container.exec({
      Cmd: request.command,
      AttachStdin: request.stdin,
      AttachStdout: request.stdout,
      AttachStderr: request.stderr,
      Tty: request.tty,
    });
    stream = (await exec.start({ hijack: true, stdin: request.stdin, Tty: request.tty } as Docker.ExecStartOptions)) as unknown as Duplex;
  } catch (error) {
    const status = {
      metadata: {},
      status: "Failure",
      message: `error executing command: ${(error as Error).message}`,
      reason: "InternalError",
      code: 500,
    };
    socket.send(Buffer.concat([Buffer.from([CHANNEL.status]), Buffer.from(JSON.stringify(status))]));
    socket.close(1000);
    return;
  }

  const forward = (channel: number, data: Buffer) => {
    if (socket.readyState !== socket.OPEN) return;
    socket.send(Buffer.concat([Buffer.from([channel]), data]), () => {
      if (stream.isPaused() && socket.bufferedAmount < HIGH_WATER / 2) stream.resume();
    });
    if (socket.bufferedAmount > HIGH_WATER) stream.pause();
  };

  onMessage = (data: Buffer) => {
    const channel = data[0];
    if (channel === CHANNEL.stdin && request.stdin) stream.write(data.subarray(1));
    else if (channel === CHANNEL.close && v5 && data[1] === CHANNEL.stdin) stream.end();
    else if (channel === CHANNEL.resize && request.tty) {
      const size = JSON.parse(data.subarray(1).toString()) as { Width?: number; Height?: number };
      void exec.resize({ w: size.Width ?? 80, h: size.Height ?? 24 }).catch(() => {});
    }
  };
  for (const data of early.splice(0)) onMessage(data);
  if (clientGone) stream.destroy();
  socket.on("close", () => stream.destroy());

  if (request.tty) {
    stream.on("data", (chunk: Buffer) => forward(CHANNEL.stdout, chunk));
  } else {
    demultiplex(stream, forward);
  }
  await new Promise<void>((resolve) => {
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", () => resolve());
  });
  if (socket.readyState !== socket.OPEN) return;
  // The attach stream can end a moment before the engine records the exit code.
  let info = await exec.inspect();
  for (let i = 0; info.Running && i < 100; i++) {
    await new Promise((r) => setTimeout(r, 10));
    info = await exec.inspect();
  }
  forward(CHANNEL.status, Buffer.from(JSON.stringify(exitStatus(request.command, info.ExitCode ?? 1))));
  socket.close(1000);
}

/** Docker's multiplexed attach stream (8-byte headers: stream type, 3 zero bytes, size) onto channels 1 and 2. */
function demultiplex(stream: Duplex, forward: (channel: number, data: Buffer) => void): void {
  let pending = Buffer.alloc(0);
  let frameLeft = 0;
  let channel: number = CHANNEL.stdout;
  stream.on("data", (data: Buffer) => {
    let chunk = pending.length > 0 ? Buffer.concat([pending, data]) : data;
    pending = Buffer.alloc(0);
    while (chunk.length > 0) {
      if (frameLeft > 0) {
        const take = Math.min(frameLeft, chunk.length);
        forward(channel, chunk.subarray(0, take));
        frameLeft -= take;
        chunk = chunk.subarray(take);
        continue;
      }
      if (chunk.length < 8) {
        pending = Buffer.from(chunk);
        break;
      }
      channel = chunk[0] === 2 ? CHANNEL.stderr : CHANNEL.stdout;
      frameLeft = chunk.readUInt32BE(4);
      chunk = chunk.subarray(8);
    }
  });
}
