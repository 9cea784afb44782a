import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * Rules in the Docker host's own firewall (iptables), for what the engine's network modes cannot
 * say: keep containers off the cloud metadata address, and keep an internal network's
 * containers off every host port but the egress proxy's. Needs root on the engine's machine;
 * callers report what could not be set.
 */
async function iptables(args: string[]): Promise<void> {
  await run("iptables", ["-w", ...args]);
}

/** Adds a rule unless it is there already (-C checks). */
async function ensureRule(chain: string, rule: string[]): Promise<void> {
  try {
    await iptables(["-C", chain, ...rule]);
  } catch {
    await iptables(["-I", chain, ...rule]);
  }
}

/** Containers on Docker's bridges never reach 169.254.169.254 (DOCKER-USER sees forwarded traffic first). */
export async function blockMetadataAddress(): Promise<void> {
  await ensureRule("DOCKER-USER", ["-d", "169.254.169.254/32", "-j", "DROP"]);
}

/** Traffic from `bridge` to this host is dropped, but for the proxy's port on the gateway address. */
export async function confineBridgeToProxy(bridge: string, gateway: string, port: number): Promise<() => Promise<void>> {
  const drop = ["-i", bridge, "-j", "DROP"];
  const accept = ["-i", bridge, "-d", gateway, "-p", "tcp", "--dport", String(port), "-j", "ACCEPT"];
  // Inserted in this order, the ACCEPT ends up above the DROP.
  await iptables(["-I", "INPUT", ...drop]);
  await iptables(["-I", "INPUT", ...accept]);
  return async () => {
    await iptables(["-D", "INPUT", ...accept]).catch(() => undefined);
    await iptables(["-D", "INPUT", ...drop]).catch(() => undefined);
  };
}
