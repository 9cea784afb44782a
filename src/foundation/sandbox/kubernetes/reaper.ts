import { ownerIsAlive } from "../owner.ts";
import { kubeError } from "./kube-errors.ts";
import type { KubeConnection } from "./kube-connection.ts";
import { ANNOTATIONS, OWNER_HOST_LABEL } from "./pod-manifest.ts";
import { LABELS } from "../owner.ts";

/**
 * Deletes bottega pods in the namespace whose owning process is dead (a crash, a kill -9), and
 * returns what it deleted. Pods of live runs, and of processes on other hosts, are left alone;
 * those are bounded by their active deadline instead.
 */
export async function reapDeadPods(kube: KubeConnection): Promise<Array<{ id: string; run?: string; instance?: string }>> {
  let pods: Awaited<ReturnType<typeof kube.api.listNamespacedPod>>["items"];
  try {
    pods = (await kube.api.listNamespacedPod({ namespace: kube.namespace, labelSelector: OWNER_HOST_LABEL })).items;
  } catch (error) {
    throw kubeError(error, `listing pods in namespace ${kube.namespace}`, { namespace: kube.namespace });
  }
  const dead = pods.filter(
    (pod) => !pod.metadata?.deletionTimestamp && !ownerIsAlive(pod.metadata?.annotations?.[ANNOTATIONS.owner] ?? ""),
  );
  await Promise.all(
    dead.map((pod) =>
      kube.api.deleteNamespacedPod({ name: pod.metadata!.name!, namespace: kube.namespace }).catch((error: { code?: number }) => {
        if (error.code !== 404) throw kubeError(error, `deleting pod ${pod.metadata!.name}`, { pod: pod.metadata!.name });
      }),
    ),
  );
  return dead.map((pod) => {
    const labels = JSON.parse(pod.metadata?.annotations?.[ANNOTATIONS.labels] ?? "{}") as Record<string, string>;
    return { id: pod.metadata!.name!, run: labels[LABELS.run], instance: labels[LABELS.instance] };
  });
}
