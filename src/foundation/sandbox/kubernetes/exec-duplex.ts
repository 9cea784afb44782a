import { Duplex } from "node:stream";
import type { KubeConfig } from "@kubernetes/client-node";
import { type ExecTarget, openExec } from "./exec-channel.ts";

/**
 * A long-lived exec with stdin and a terminal, as a Duplex stream (what the persistent shell
 * drives): writes go to the command's stdin, its output is what reads return, and the stream
 * ends when the command does. Destroying it closes the socket.
 */
export async function openExecDuplex(config: KubeConfig, target: ExecTarget, command: string[]): Promise<Duplex> {
  let duplex!: Duplex;
  const channel = await openExec(config, target, command, { stdin: true, tty: true, onOutput: (data) => duplex.push(data) });
  duplex = new Duplex({
    read() {
      // Output is pushed as it arrives; a shell session's output is bounded by its own reader.
    },
    write(chunk: Buffer, _encoding, callback) {
      channel.write(chunk);
      callback();
    },
    final(callback) {
      channel.endInput();
      callback();
    },
    destroy(error, callback) {
      channel.close();
      callback(error);
    },
  });
  void channel.exited.then(
    () => duplex.push(null),
    () => duplex.push(null),
  );
  return duplex;
}
