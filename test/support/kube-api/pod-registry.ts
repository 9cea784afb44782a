/**
 * The API server's storage for pods: objects with a cluster-wide resourceVersion, a bounded
 * history of changes, and watchers that receive ADDED / MODIFIED / DELETED events in order.
 */
export interface Pod {
  apiVersion: "v1";
  kind: "Pod";
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  spec: PodSpec;
  status: PodStatus;
}

export interface ContainerSpec {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: Array<{ name: string; value?: string }>;
  imagePullPolicy?: string;
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
  securityContext?: {
    runAsUser?: number;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface PodSpec {
  containers: ContainerSpec[];
  restartPolicy?: string;
  activeDeadlineSeconds?: number;
  shareProcessNamespace?: boolean;
  [key: string]: unknown;
}

export interface PodStatus {
  phase: "Pending" | "Running" | "Succeeded" | "Failed";
  reason?: string;
  message?: string;
  conditions?: Array<{ type: string; status: string; reason?: string; lastTransitionTime: string }>;
  containerStatuses?: Array<Record<string, unknown>>;
  startTime?: string;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";
interface HistoryEntry {
  version: number;
  type: WatchEventType;
  pod: Pod;
}

interface Watcher {
  namespace: string;
  matches: (pod: Pod) => boolean;
  send: (type: WatchEventType, pod: Pod) => void;
}

/** How many changes are kept for watches that resume from a resourceVersion. */
const HISTORY = 5000;

export class PodRegistry {
  private readonly pods = new Map<string, Pod>();
  private readonly history: HistoryEntry[] = [];
  private readonly watchers = new Set<Watcher>();
  private version = 1;

  get resourceVersion(): string {
    return String(this.version);
  }

  get(namespace: string, name: string): Pod | undefined {
    return this.pods.get(`${namespace}/${name}`);
  }

  list(namespace: string, matches: (pod: Pod) => boolean): Pod[] {
    return [...this.pods.values()].filter((pod) => pod.metadata.namespace === namespace && matches(pod));
  }

  all(): Pod[] {
    return [...this.pods.values()];
  }

  add(pod: Pod): Pod {
    this.pods.set(`${pod.metadata.namespace}/${pod.metadata.name}`, pod);
    return this.record("ADDED", pod);
  }

  /** Applies a change to a stored pod and notifies watchers; undefined when the pod is gone. */
  update(namespace: string, name: string, change: (pod: Pod) => void): Pod | undefined {
    const pod = this.get(namespace, name);
    if (!pod) return undefined;
    change(pod);
    return this.record("MODIFIED", pod);
  }

  remove(namespace: string, name: string): void {
    const pod = this.get(namespace, name);
    if (!pod) return;
    this.pods.delete(`${namespace}/${name}`);
    this.record("DELETED", pod);
  }

  private record(type: WatchEventType, pod: Pod): Pod {
    this.version += 1;
    pod.metadata.resourceVersion = String(this.version);
    const snapshot = structuredClone(pod);
    this.history.push({ version: this.version, type, pod: snapshot });
    if (this.history.length > HISTORY) this.history.shift();
    for (const watcher of this.watchers) {
      if (watcher.namespace === snapshot.metadata.namespace && watcher.matches(snapshot)) watcher.send(type, snapshot);
    }
    return snapshot;
  }

  /**
   * Starts a watch. Without a resourceVersion (or "0") the current objects come first as ADDED
   * events, as the real server does; with one, the changes after it are replayed. Returns
   * "expired" when that version is older than the history kept (the server answers 410 Gone).
   */
  watch(
    namespace: string,
    matches: (pod: Pod) => boolean,
    fromVersion: string | undefined,
    send: (type: WatchEventType, pod: Pod) => void,
  ): (() => void) | "expired" {
    const watcher: Watcher = { namespace, matches, send };
    if (!fromVersion || fromVersion === "0") {
      for (const pod of this.list(namespace, matches)) send("ADDED", structuredClone(pod));
    } else {
      const from = Number(fromVersion);
      const oldest = this.history[0]?.version ?? this.version;
      if (!Number.isInteger(from) || from < oldest - 1) return "expired";
      for (const entry of this.history) {
        if (entry.version > from && entry.pod.metadata.namespace === namespace && matches(entry.pod)) send(entry.type, entry.pod);
      }
    }
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }
}
