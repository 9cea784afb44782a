import type Docker from "dockerode";
import { startEgressProxy, type EgressProxy } from "../egress-proxy.ts";
import { engineError } from "../errors.ts";
import { currentOwner, LABELS } from "../owner.ts";
import { confineBridgeToProxy } from "./host-firewall.ts";

/**
 * The agent network of `allowlist` mode: an internal Docker network (no route out) whose one
 * open door is the egress proxy, served by this process on the network's gateway address.
 * Containers on it get HTTP(S)_PROXY pointing there.
 */
export class EgressNetwork {
  private constructor(
    readonly name: string,
    private readonly network: Docker.Network,
    private readonly proxy: EgressProxy,
    private readonly unconfine: () => Promise<void>,
  ) {}

  static async open(docker: Docker, runId: string, allowHosts: readonly string[]): Promise<EgressNetwork> {
    const name = `bottega-egress-${runId}`.replace(/[^a-zA-Z0-9_.-]/g, "_");
    // A network left by a crashed run of the same id is replaced.
    await docker
      .getNetwork(name)
      .remove()
      .catch(() => undefined);
    let network: Docker.Network;
    let gateway: string;
    try {
      network = await docker.createNetwork({
        Name: name,
        Driver: "bridge",
        Internal: true,
        Labels: { [LABELS.run]: runId, [LABELS.owner]: currentOwner() },
      });
      const info = (await network.inspect()) as { Id: string; IPAM?: { Config?: Array<{ Gateway?: string }> } };
      gateway = info.IPAM?.Config?.[0]?.Gateway ?? "";
      if (!gateway) throw new Error(`network ${name} has no gateway address`);
      const proxy = await startEgressProxy({ listenHost: gateway, allowedHosts: allowHosts });
      const bridge = `br-${info.Id.slice(0, 12)}`;
      const unconfine = await confineBridgeToProxy(bridge, gateway, proxy.port).catch((error: Error) => {
        void proxy.close();
        throw new Error(
          `could not confine ${bridge} to the egress proxy with iptables (allowlist mode needs root on the Docker host): ${error.message}`,
        );
      });
      return new EgressNetwork(name, network, proxy, unconfine);
    } catch (error) {
      await docker
        .getNetwork(name)
        .remove()
        .catch(() => undefined);
      throw engineError(error, `opening the allowlist network ${name}`, {});
    }
  }

  /** What containers on this network need to find the proxy. */
  env(): Record<string, string> {
    const url = `http://${this.proxy.host}:${this.proxy.port}`;
    return {
      HTTP_PROXY: url,
      HTTPS_PROXY: url,
      http_proxy: url,
      https_proxy: url,
      NO_PROXY: "localhost,127.0.0.1",
      no_proxy: "localhost,127.0.0.1",
    };
  }

  /** Decisions the proxy made, for the run's record. */
  decisions() {
    return this.proxy.decisions;
  }

  async close(): Promise<void> {
    await this.proxy.close();
    await this.unconfine();
    await this.network.remove().catch(() => undefined);
  }
}
