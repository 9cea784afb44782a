import type Docker from "dockerode";
import { currentOwner, ownerIsAlive } from "../../../src/foundation/sandbox/owner.ts";
import type { Pod, PodRegistry } from "./pod-registry.ts";
import { parseQuantity } from "./quantity.ts";

/** Labels on the containers that stand in for pods, so a crashed test's leftovers can be found. */
export const RUNNER_LABELS = { owner: "bottega.kube-api.owner", server: "bottega.kube-api.server", pod: "bottega.kube-api.pod" } as const;

/** Age beyond which a dead server's containers are leftovers (see reapOrphans). */
const ORPHAN_AGE_S = 3600;

/** How long a missing image stays in ErrImagePull before the kubelet reports the back-off. */
const PULL_BACKOFF_MS = 1000;

/** How often a pod's ephemeral storage is measured (the kubelet: every 10 s; Docker sandboxes: every 2 s). */
const STORAGE_POLL_MS = 2000;

const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");

/**
 * The kubelet of the test API server: runs each pod's first container as a Docker container
 * (network none: nothing in tests reaches a network), and reports its life in the pod's
 * status the way a node does (Pending → Running → Succeeded/Failed, image pull failures as
 * waiting reasons, the active deadline as DeadlineExceeded). It honours what a real kubelet
 * enforces of the container's spec: the user, the capabilities, no privilege escalation, the
 * memory and cpu limits, and the ephemeral-storage limit (measured, and the pod evicted past it).
 */
export class PodRunner {
  private readonly containers = new Map<string, Docker.Container>();
  private readonly deleting = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly docker: Docker,
    private readonly registry: PodRegistry,
    /** Distinguishes this server's containers from those of other servers in the same process. */
    private readonly serverId: string,
    /** The node's settings that bound every pod on it. */
    private readonly node: { podPidsLimit?: number } = {},
  ) {}

  /** The running container of a pod, if it has one. */
  container(namespace: string, name: string): Docker.Container | undefined {
    return this.containers.get(`${namespace}/${name}`);
  }

  /**
   * Removes containers left by test API servers whose process died more than an hour ago. The
   * age matters: processes sharing this Docker engine from another pid namespace look dead
   * from here, and their servers' pods must not vanish under them.
   */
  async reapOrphans(): Promise<void> {
    const found = await this.docker.listContainers({ all: true, filters: { label: [RUNNER_LABELS.owner] } });
    const hourAgo = Date.now() / 1000 - ORPHAN_AGE_S;
    const dead = found.filter((info) => info.Created < hourAgo && !ownerIsAlive(info.Labels[RUNNER_LABELS.owner] ?? ""));
    await Promise.allSettled(dead.map((info) => this.docker.getContainer(info.Id).remove({ force: true })));
  }

  run(pod: Pod): void {
    void this.lifecycle(pod).catch((error: Error) => {
      this.setStatus(pod, (status) => {
        status.phase = "Failed";
        status.reason = "RunContainerError";
        status.message = error.message;
      });
    });
  }

  private setStatus(pod: Pod, change: (status: Pod["status"]) => void): void {
    this.registry.update(pod.metadata.namespace, pod.metadata.name, (stored) => change(stored.status));
  }

  private later(ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    this.timers.add(timer);
  }

  private async lifecycle(pod: Pod): Promise<void> {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const spec = pod.spec.containers[0]!;
    const waiting = (reason: string, message?: string) => ({
      name: spec.name,
      image: spec.image,
      imageID: "",
      ready: false,
      started: false,
      restartCount: 0,
      state: { waiting: { reason, ...(message ? { message } : {}) } },
    });
    this.setStatus(pod, (status) => {
      status.conditions = [{ type: "PodScheduled", status: "True", lastTransitionTime: now() }];
      status.startTime = now();
      status.containerStatuses = [waiting("ContainerCreating")];
    });
    const present = spec.imagePullPolicy !== "Always" && (await this.imagePresent(spec.image));
    if (this.deleting.has(key)) return;
    if (!present) {
      // This node has no registry to pull from: the kubelet's pull fails, then backs off.
      const reason = `failed to pull and unpack image "${spec.image}": failed to resolve reference "${spec.image}": not found`;
      this.setStatus(
        pod,
        (status) => (status.containerStatuses = [waiting("ErrImagePull", `rpc error: code = NotFound desc = ${reason}`)]),
      );
      this.later(PULL_BACKOFF_MS, () =>
        this.setStatus(
          pod,
          (status) => (status.containerStatuses = [waiting("ImagePullBackOff", `Back-off pulling image "${spec.image}"`)]),
        ),
      );
      return;
    }
    const limits = spec.resources?.limits ?? {};
    const memory = limits.memory ? Math.round(parseQuantity(limits.memory)) : undefined;
    const security = spec.securityContext ?? {};
    const container = await this.docker.createContainer({
      Image: spec.image,
      ...(spec.command ? { Entrypoint: spec.command } : {}),
      ...(spec.args ? { Cmd: spec.args } : {}),
      WorkingDir: spec.workingDir,
      ...(security.runAsUser !== undefined ? { User: String(security.runAsUser) } : {}),
      Env: (spec.env ?? []).map((variable) => `${variable.name}=${variable.value ?? ""}`),
      Labels: { [RUNNER_LABELS.owner]: currentOwner(), [RUNNER_LABELS.server]: this.serverId, [RUNNER_LABELS.pod]: key },
      HostConfig: {
        NetworkMode: "none",
        // With a shared process namespace the pod's pause process is PID 1 and reaps orphans;
        // Docker's init does the same for a single container.
        Init: pod.spec.shareProcessNamespace === true,
        // Nodes run without swap: the memory limit is the whole of it.
        Memory: memory,
        MemorySwap: memory,
        NanoCpus: limits.cpu ? Math.round(parseQuantity(limits.cpu) * 1e9) : undefined,
        PidsLimit: this.node.podPidsLimit,
        // The runtime's default capabilities, less and plus the container's (Docker takes the
        // names with or without CAP_, as containerd does).
        CapDrop: security.capabilities?.drop,
        CapAdd: security.capabilities?.add,
        // allowPrivilegeEscalation: false is the no_new_privs bit on the container's processes.
        SecurityOpt: security.allowPrivilegeEscalation === false ? ["no-new-privileges"] : undefined,
      },
    });
    this.containers.set(key, container);
    if (this.deleting.has(key)) {
      await container.remove({ force: true }).catch(() => {});
      return;
    }
    await container.start();
    const started = now();
    this.setStatus(pod, (status) => {
      status.phase = "Running";
      status.conditions = [
        { type: "PodScheduled", status: "True", lastTransitionTime: started },
        { type: "Initialized", status: "True", lastTransitionTime: started },
        { type: "ContainersReady", status: "True", lastTransitionTime: started },
        { type: "Ready", status: "True", lastTransitionTime: started },
      ];
      status.containerStatuses = [
        {
          name: spec.name,
          image: spec.image,
          imageID: "",
          ready: true,
          started: true,
          restartCount: 0,
          containerID: `docker://${container.id}`,
          state: { running: { startedAt: started } },
        },
      ];
    });
    let deadlineExceeded = false;
    if (pod.spec.activeDeadlineSeconds) {
      this.later(pod.spec.activeDeadlineSeconds * 1000, () => {
        deadlineExceeded = true;
        void container.kill().catch(() => {});
      });
    }
    let evicted = false;
    const storageLimit = limits["ephemeral-storage"];
    if (storageLimit) {
      this.watchStorage(container, parseQuantity(storageLimit), () => {
        evicted = true;
        void container.kill().catch(() => {});
      });
    }
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    if (this.deleting.has(key)) return;
    // The runtime's word for a container that ended after the kernel killed in it for memory.
    const oomKilled = await container
      .inspect()
      .then((info) => info.State.OOMKilled === true)
      .catch(() => false);
    this.containers.delete(key);
    const finished = now();
    this.setStatus(pod, (status) => {
      status.phase = deadlineExceeded || evicted || StatusCode !== 0 ? "Failed" : "Succeeded";
      if (deadlineExceeded) {
        status.reason = "DeadlineExceeded";
        status.message = `Pod was active on the node longer than the specified deadline`;
      } else if (evicted) {
        // The eviction manager's message for a pod past the sum of its containers' limits.
        status.reason = "Evicted";
        status.message = `Pod ephemeral local storage usage exceeds the total limit of containers ${storageLimit}. `;
      }
      status.conditions = status.conditions?.map((c) =>
        c.type === "Ready" || c.type === "ContainersReady"
          ? { ...c, status: "False", reason: "PodCompleted", lastTransitionTime: finished }
          : c,
      );
      status.containerStatuses = [
        {
          name: spec.name,
          image: spec.image,
          imageID: "",
          ready: false,
          started: false,
          restartCount: 0,
          containerID: `docker://${container.id}`,
          state: {
            terminated: {
              exitCode: StatusCode,
              reason: StatusCode === 0 ? "Completed" : oomKilled ? "OOMKilled" : "Error",
              startedAt: started,
              finishedAt: finished,
            },
          },
        },
      ];
    });
    await container.remove({ force: true }).catch(() => {});
  }

  /**
   * Measures the container's writable layer until it stops, and calls `evict` once it holds
   * more than `limitBytes`, as the kubelet's eviction manager does with the pod's usage.
   */
  private watchStorage(container: Docker.Container, limitBytes: number, evict: () => void): void {
    const poll = async () => {
      try {
        const info = (await container.inspect({ size: true } as never)) as unknown as { SizeRw?: number; State: { Running: boolean } };
        if (!info.State.Running) return;
        if ((info.SizeRw ?? 0) > limitBytes) return evict();
      } catch {
        return; // removed
      }
      this.later(STORAGE_POLL_MS, () => void poll());
    };
    this.later(STORAGE_POLL_MS, () => void poll());
  }

  private async imagePresent(image: string): Promise<boolean> {
    try {
      await this.docker.getImage(image).inspect();
      return true;
    } catch {
      return false;
    }
  }

  /** Kills a pod's container (as a zero grace period would) and forgets it. */
  async stop(namespace: string, name: string): Promise<void> {
    const key = `${namespace}/${name}`;
    this.deleting.add(key);
    const container = this.containers.get(key);
    this.containers.delete(key);
    await container?.remove({ force: true }).catch(() => {});
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    await Promise.allSettled([...this.containers.keys()].map((key) => this.stop(...(key.split("/") as [string, string]))));
    const leftovers = await this.docker.listContainers({ all: true, filters: { label: [`${RUNNER_LABELS.server}=${this.serverId}`] } });
    await Promise.allSettled(leftovers.map((info) => this.docker.getContainer(info.Id).remove({ force: true })));
  }
}
