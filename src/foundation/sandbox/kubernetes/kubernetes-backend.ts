import { SandboxConfigError } from "../errors.ts";
import { LABELS } from "../owner.ts";
import type { Sandbox } from "../sandbox.ts";
import type { SandboxBackend, SandboxBackendConfig, SandboxInfo, SandboxRequest } from "../sandbox-backend.ts";
import { connectKubernetes, type KubeConnection } from "./kube-connection.ts";
import { kubeError } from "./kube-errors.ts";
import { ANNOTATIONS, labelValue, OWNER_HOST_LABEL } from "./pod-manifest.ts";
import { loadPodTemplate, type PodTemplate } from "./pod-template.ts";
import { KubernetesSandbox } from "./kubernetes-sandbox.ts";
import { reapDeadPods } from "./reaper.ts";

/**
 * Opens the cluster of the kubeconfig (KUBECONFIG or ~/.kube/config), checked to answer in the
 * namespace, with the pod template read and validated before any pod is made.
 */
export async function openKubernetesBackend(config: SandboxBackendConfig): Promise<SandboxBackend> {
  const template = config.kubernetes.podTemplate ? loadPodTemplate(config.kubernetes.podTemplate) : undefined;
  // The allowlist's egress proxy is a Docker container: refused rather than silently open.
  if (config.network.agent === "allowlist")
    throw new SandboxConfigError('agent network "allowlist" is not available on Kubernetes: use a NetworkPolicy (docs/kubernetes.md)');
  // A pod has no network setting: saying so beats letting "none" look applied.
  if (config.network.agent !== "bridge") {
    console.warn(
      `warning: agent network "${config.network.agent}" is not applied to pods, which get the cluster's pod network: ` +
        "contain them with a NetworkPolicy on the label bottega.role=agent (docs/kubernetes.md)",
    );
  }
  const kube = await connectKubernetes({ namespace: config.kubernetes.namespace });
  return new KubernetesBackend(kube, config, template);
}

/** A pod's identity from the labels it was given (kept whole in an annotation). */
function info(pod: { metadata?: { name?: string; annotations?: Record<string, string> } }): SandboxInfo {
  const labels = JSON.parse(pod.metadata?.annotations?.[ANNOTATIONS.labels] ?? "{}") as Record<string, string>;
  return {
    id: pod.metadata!.name!,
    runId: labels[LABELS.run],
    instanceId: labels[LABELS.instance],
    role: labels[LABELS.role],
    owner: pod.metadata?.annotations?.[ANNOTATIONS.owner],
  };
}

/**
 * Sandboxes as pods of one namespace. Images are the nodes' business: the kubelet pulls what a
 * pod needs (hasImage is true, pullImage does nothing, and a pull that fails is the pod's
 * ImageUnavailableError). Networks per role are not a pod setting: a NetworkPolicy on the
 * namespace decides them (docs/kubernetes.md). Nor is a process limit: the kubelet's
 * podPidsLimit bounds every pod of its node.
 */
export class KubernetesBackend implements SandboxBackend {
  readonly name = "kubernetes";
  private readonly live = new Set<Sandbox>();

  constructor(
    readonly kube: KubeConnection,
    readonly config: SandboxBackendConfig,
    private readonly template: PodTemplate | undefined,
  ) {}

  async create(request: SandboxRequest): Promise<Sandbox> {
    const labels: Record<string, string> = { [LABELS.role]: request.role };
    if (this.config.runId !== undefined) labels[LABELS.run] = this.config.runId;
    if (request.instanceId !== undefined) labels[LABELS.instance] = request.instanceId;
    // As on Docker: agents are contained (their memory, disk and privileges); grading and
    // build pods keep the official harness's container, only the run-wide limits apply.
    const agent = request.role === "agent" ? this.config.agent : undefined;
    const sandbox = await KubernetesSandbox.create(
      this.kube,
      {
        image: request.image,
        labels,
        user: this.config.user,
        workdir: this.config.workdir,
        memoryBytes: agent ? (this.config.memoryBytes ?? agent.memoryBytes) : this.config.memoryBytes,
        diskBytes: agent?.diskBytes,
        capDrop: agent ? agent.capDrop : [],
        capAdd: agent ? agent.capAdd : [],
        noNewPrivileges: agent ? agent.noNewPrivileges : false,
        cpus: this.config.cpus,
      },
      {
        template: this.template,
        activeDeadlineSeconds: this.config.kubernetes.activeDeadlineSeconds,
        onRemoved: (removed) => this.live.delete(removed),
      },
    );
    this.live.add(sandbox);
    return sandbox;
  }

  async hasImage(): Promise<boolean> {
    return true;
  }

  async pullImage(): Promise<void> {}

  async removeImage(): Promise<boolean> {
    return false;
  }

  async list(filter: { runId?: string } = {}): Promise<SandboxInfo[]> {
    const selector = filter.runId === undefined ? OWNER_HOST_LABEL : `${OWNER_HOST_LABEL},${LABELS.run}=${labelValue(filter.runId)}`;
    try {
      const pods = (await this.kube.api.listNamespacedPod({ namespace: this.kube.namespace, labelSelector: selector })).items;
      return pods
        .filter((pod) => !pod.metadata?.deletionTimestamp)
        .map(info)
        .filter((found) => filter.runId === undefined || found.runId === filter.runId);
    } catch (error) {
      throw kubeError(error, `listing pods in namespace ${this.kube.namespace}`, { namespace: this.kube.namespace });
    }
  }

  async reapDead(): Promise<SandboxInfo[]> {
    return (await reapDeadPods(this.kube)).map((dead) => ({ id: dead.id, runId: dead.run, instanceId: dead.instance }));
  }

  async removeAll(): Promise<void> {
    await Promise.allSettled([...this.live].map((sandbox) => sandbox.remove()));
  }
}
