import { hostname } from "node:os";
import type { V1Pod, V1PodSpec, V1SecurityContext } from "@kubernetes/client-node";
import type { ContainerSpec } from "../container-spec.ts";
import { currentOwner, LABELS } from "../owner.ts";
import type { PodTemplate } from "./pod-template.ts";

/** The one container of a sandbox pod. */
export const SANDBOX_CONTAINER = "sandbox";

/**
 * Annotations carry what label values cannot hold (a label value is at most 63 characters of
 * [A-Za-z0-9._-]): the exact owner (host:pid:start) and the labels as given.
 */
export const ANNOTATIONS = { owner: "bottega.owner", nonce: "bottega.nonce", labels: "bottega.labels" } as const;
/** Every sandbox pod has this label, so the reaper can list them all with one selector. */
export const OWNER_HOST_LABEL = "bottega.owner-host";

/** A pod that outlives this (our process died on a host the reaper cannot see) is stopped by the cluster. */
export const DEFAULT_ACTIVE_DEADLINE_SECONDS = 6 * 3600;

/** A string as a valid label value: allowed characters only, at most 63, alphanumeric at both ends. */
export function labelValue(value: string): string {
  return value
    .replace(/[^A-Za-z0-9._-]/g, "_")
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
}

/** A pod name from the sandbox's role and instance: lowercase RFC 1123, short, with a random tail. */
export function podName(labels: Record<string, string>, suffix: string): string {
  const parts = [labels[LABELS.role], labels[LABELS.instance]].filter(Boolean).join("-");
  const base = `bottega-${parts}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .slice(0, 52)
    .replace(/-+$/, "");
  return `${base}-${suffix}`;
}

export interface PodOptions {
  namespace: string;
  name: string;
  nonce: string;
  template?: PodTemplate;
  activeDeadlineSeconds?: number;
}

/**
 * The container's security context from the spec: the user, and for contained sandboxes
 * (agents) no privilege escalation (the kubelet's no_new_privs) and the capabilities dropped
 * and added. A spec without containment (grading, builds) gets only the user, so those pods
 * keep the runtime's defaults as the official harness's containers do.
 */
function specSecurityContext(spec: ContainerSpec): V1SecurityContext {
  const context: V1SecurityContext = {};
  const runAsUser = spec.user === "root" ? 0 : spec.user && /^\d+$/.test(spec.user) ? Number(spec.user) : undefined;
  if (runAsUser !== undefined) context.runAsUser = runAsUser;
  if (spec.noNewPrivileges) context.allowPrivilegeEscalation = false;
  const drop = spec.capDrop ?? [];
  const add = spec.capAdd ?? [];
  if (drop.length > 0 || add.length > 0) context.capabilities = { drop: [...drop], add: [...add] };
  return context;
}

/**
 * The pod for one sandbox: the instance image idling (the pod's pause process is PID 1 through
 * the shared process namespace, and reaps what killed commands leave behind), never restarted,
 * with the run's labels, resources as limits and requests (Guaranteed QoS, so a busy node does
 * not evict it mid-episode), an active deadline, and the template's scheduling settings merged in.
 *
 * Where the template and the spec both set something, the template wins, key by key: each
 * resource of requests and limits (memory, cpu, ephemeral-storage), and each top-level field of
 * the container's securityContext (a template `capabilities` replaces the spec's whole, a
 * template `allowPrivilegeEscalation` replaces ours). A cluster's own policy thus stays the
 * last word; the spec's values are defaults.
 */
export function podManifest(spec: ContainerSpec, options: PodOptions): V1Pod {
  const template = options.template ?? {};
  const templateContainer = template.spec?.containers?.[0] ?? {};
  const labels = spec.labels ?? {};
  const resources: Record<string, string> = {};
  if (spec.memoryBytes) resources.memory = String(spec.memoryBytes);
  if (spec.cpus) resources.cpu = `${Math.round(spec.cpus * 1000)}m`;
  // The kubelet measures the writable layer, logs and emptyDirs against it and evicts the pod past it.
  if (spec.diskBytes) resources["ephemeral-storage"] = String(spec.diskBytes);
  const { containers: _containers, activeDeadlineSeconds, ...templateSpec } = template.spec ?? {};
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: options.name,
      namespace: options.namespace,
      labels: {
        ...template.metadata?.labels,
        ...Object.fromEntries(Object.entries(labels).map(([key, value]) => [key, labelValue(value)])),
        [OWNER_HOST_LABEL]: labelValue(hostname()),
      },
      annotations: {
        ...template.metadata?.annotations,
        [ANNOTATIONS.owner]: currentOwner(),
        [ANNOTATIONS.nonce]: options.nonce,
        [ANNOTATIONS.labels]: JSON.stringify(labels),
      },
    },
    spec: {
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      ...(templateSpec as Partial<V1PodSpec>),
      restartPolicy: "Never",
      shareProcessNamespace: true,
      terminationGracePeriodSeconds: 5,
      activeDeadlineSeconds: activeDeadlineSeconds ?? options.activeDeadlineSeconds ?? DEFAULT_ACTIVE_DEADLINE_SECONDS,
      containers: [
        {
          name: SANDBOX_CONTAINER,
          image: spec.image,
          // Instance images are tagged :latest, which would mean "Always" and a registry round trip per pod.
          imagePullPolicy: templateContainer.imagePullPolicy ?? "IfNotPresent",
          command: ["tail", "-f", "/dev/null"],
          workingDir: spec.workdir,
          env: Object.entries(spec.env ?? {}).map(([name, value]) => ({ name, value })),
          resources: {
            requests: { ...resources, ...templateContainer.resources?.requests },
            limits: { ...resources, ...templateContainer.resources?.limits },
          },
          securityContext: { ...specSecurityContext(spec), ...templateContainer.securityContext },
        },
      ],
    },
  };
}
