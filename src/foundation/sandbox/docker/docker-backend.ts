import type Docker from "dockerode";
import { engineError, SandboxError } from "../errors.ts";
import { LABELS } from "../owner.ts";
import type { Sandbox } from "../sandbox.ts";
import type {
  ImageLayer,
  ImageWorkshop,
  PullProgress,
  SandboxBackend,
  SandboxBackendConfig,
  SandboxInfo,
  SandboxRequest,
} from "../sandbox-backend.ts";
import { packDirectory } from "../tar-file.ts";
import { ensureBaseImage } from "./base-image.ts";
import { connectDocker } from "./docker-engine.ts";
import { DockerSandbox } from "./docker-sandbox.ts";
import { imageLayers, localLayers } from "./image-layers.ts";
import { imageExists, pullImage, removeImage } from "./images.ts";
import { reapDeadContainers } from "./reaper.ts";
import { EgressNetwork } from "./egress-network.ts";
import { blockMetadataAddress } from "./host-firewall.ts";

/** Opens the local Docker engine (DOCKER_HOST or /var/run/docker.sock), checked to answer. */
export async function openDockerBackend(config: SandboxBackendConfig): Promise<SandboxBackend> {
  return new DockerBackend(await connectDocker(), config);
}

/** Docker names allow [a-zA-Z0-9][a-zA-Z0-9_.-]*. */
const containerName = (name: string) => name.replace(/[^a-zA-Z0-9_.-]/g, "_");

const info = (id: string, labels: Record<string, string>): SandboxInfo => ({
  id,
  runId: labels[LABELS.run],
  instanceId: labels[LABELS.instance],
  role: labels[LABELS.role],
  owner: labels[LABELS.owner],
});

export class DockerBackend implements SandboxBackend {
  readonly name = "docker";
  private readonly live = new Set<Sandbox>();
  private egress: Promise<EgressNetwork> | undefined;
  private metadataGuarded = false;
  private stopped = false;
  readonly workshop: ImageWorkshop;

  constructor(
    readonly docker: Docker,
    readonly config: SandboxBackendConfig,
  ) {
    this.workshop = new DockerWorkshop(docker);
  }

  async create(request: SandboxRequest): Promise<Sandbox> {
    const labels: Record<string, string> = { [LABELS.role]: request.role };
    if (this.config.runId !== undefined) labels[LABELS.run] = this.config.runId;
    if (request.instanceId !== undefined) labels[LABELS.instance] = request.instanceId;
    const agent = request.role === "agent" ? await this.agentContainment() : undefined;
    const sandbox = await DockerSandbox.create(
      this.docker,
      {
        image: request.image,
        name: request.name === undefined ? undefined : containerName(request.name),
        labels,
        user: this.config.user,
        workdir: this.config.workdir,
        network: agent?.network ?? this.config.network[request.role],
        env: agent?.env,
        memoryBytes: agent ? (this.config.memoryBytes ?? this.config.agent.memoryBytes) : this.config.memoryBytes,
        diskBytes: agent ? this.config.agent.diskBytes : undefined,
        capDrop: agent ? this.config.agent.capDrop : [],
        capAdd: agent ? this.config.agent.capAdd : [],
        noNewPrivileges: agent ? this.config.agent.noNewPrivileges : false,
        pidsLimit: this.config.pidsLimit,
        cpus: this.config.cpus,
        platform: this.config.platform,
      },
      (removed) => this.live.delete(removed),
    );
    this.live.add(sandbox);
    // A creation that was in flight when the run was stopped must not outlive removeAll().
    if (this.stopped) {
      await sandbox.remove();
      throw new SandboxError("the run is stopping: its sandboxes are being removed", { image: request.image });
    }
    return sandbox;
  }

  hasImage(image: string): Promise<boolean> {
    return imageExists(this.docker, image);
  }

  pullImage(image: string, options: { onProgress?: (progress: PullProgress) => void } = {}): Promise<void> {
    return pullImage(this.docker, image, { platform: this.config.platform, onProgress: options.onProgress });
  }

  imageLayers(image: string): Promise<ImageLayer[]> {
    return imageLayers(this.docker, image);
  }

  localLayers(): Promise<Set<string>> {
    return localLayers(this.docker);
  }

  removeImage(image: string): Promise<boolean> {
    return removeImage(this.docker, image);
  }

  async list(filter: { runId?: string } = {}): Promise<SandboxInfo[]> {
    const label = filter.runId === undefined ? LABELS.owner : `${LABELS.run}=${filter.runId}`;
    try {
      const containers = await this.docker.listContainers({ all: true, filters: { label: [label] } });
      return containers.map((c) => info(c.Id, c.Labels));
    } catch (error) {
      throw engineError(error, "listing containers", {});
    }
  }

  async reapDead(): Promise<SandboxInfo[]> {
    return (await reapDeadContainers(this.docker)).map((dead) => ({ id: dead.id, runId: dead.run, instanceId: dead.instance }));
  }

  async removeAll(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.live].map((sandbox) => sandbox.remove()));
    const egress = this.egress;
    this.egress = undefined;
    if (egress) await (await egress).close();
  }

  /**
   * The agent network's set-up, made once per back end: "allowlist" opens the egress network and
   * its proxy; "bridge" keeps the metadata address out of reach (a warning where the host's
   * firewall cannot be changed). Other modes ("none", a named network) are the engine's.
   */
  private async agentContainment(): Promise<{ network: string; env?: Record<string, string> }> {
    const mode = this.config.network.agent;
    if (mode === "allowlist") {
      this.egress ??= EgressNetwork.open(this.docker, this.config.runId ?? `pid${process.pid}`, this.config.agent.allowHosts);
      const egress = await this.egress;
      return { network: egress.name, env: egress.env() };
    }
    if (mode === "bridge" && !this.metadataGuarded) {
      this.metadataGuarded = true;
      await blockMetadataAddress().catch((error: Error) =>
        console.warn(
          `warning: agent containers on the bridge network may reach 169.254.169.254: iptables failed (${error.message.split("\n")[0]})`,
        ),
      );
    }
    return { network: mode };
  }
}

class DockerWorkshop implements ImageWorkshop {
  constructor(private readonly docker: Docker) {}

  ensureBaseImage(options: { log?: (line: string) => void; mirror?: string } = {}) {
    return ensureBaseImage(this.docker, options);
  }

  async imageLabels(image: string): Promise<Record<string, string> | undefined> {
    if (!(await imageExists(this.docker, image))) return undefined;
    return (await this.docker.getImage(image).inspect()).Config?.Labels ?? {};
  }

  async copyDirectory(sandbox: Sandbox, hostDir: string, path: string): Promise<void> {
    const archive = await packDirectory(hostDir, path.replace(/^\/+/, ""));
    try {
      await this.docker.getContainer(sandbox.id).putArchive(archive, { path: "/" });
    } catch (error) {
      throw engineError(error, `copying ${hostDir} to ${path}`, { container: sandbox.id });
    }
  }

  async commit(
    sandbox: Sandbox,
    image: string,
    options: { workdir?: string; labels?: Record<string, string>; cmd?: string[] } = {},
  ): Promise<void> {
    const [repo, tag = "latest"] = splitImageName(image);
    const changes = [
      ...(options.workdir ? [`WORKDIR ${options.workdir}`] : []),
      ...Object.entries(options.labels ?? {}).map(([key, value]) => `LABEL ${key}=${value}`),
      ...(options.cmd ? [`CMD ${JSON.stringify(options.cmd)}`] : []),
    ];
    try {
      await this.docker.getContainer(sandbox.id).commit({ repo, tag, changes });
    } catch (error) {
      throw engineError(error, `saving container ${sandbox.id} as ${image}`, { container: sandbox.id, image });
    }
  }
}

/** "registry:5000/a/b:tag" → ["registry:5000/a/b", "tag"]. */
function splitImageName(image: string): [string, string | undefined] {
  const slash = image.lastIndexOf("/");
  const colon = image.lastIndexOf(":");
  return colon > slash ? [image.slice(0, colon), image.slice(colon + 1)] : [image, undefined];
}
