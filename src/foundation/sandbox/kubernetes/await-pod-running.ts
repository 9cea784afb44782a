import { type V1Pod, Watch } from "@kubernetes/client-node";
import { ContainerGoneError, ImageUnavailableError, SandboxError } from "../errors.ts";
import { kubeError } from "./kube-errors.ts";
import type { KubeConnection } from "./kube-connection.ts";

/** Container waiting reasons that mean the node cannot get the image. */
const IMAGE_PULL_FAILURES = new Set(["ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"]);
/** Waiting reasons that mean the container can never start as specified. */
const CONFIG_FAILURES = new Set(["CreateContainerConfigError", "CreateContainerError", "RunContainerError"]);

type Verdict = { running: true } | { error: Error } | undefined;

/** What a pod's status says about its start: running, failed for good, or still coming. */
export function judgePod(pod: V1Pod): Verdict {
  const name = pod.metadata?.name;
  const image = pod.spec?.containers?.[0]?.image ?? "";
  const context = { pod: name, image };
  const phase = pod.status?.phase;
  if (phase === "Running" && pod.status?.containerStatuses?.[0]?.state?.running) return { running: true };
  if (phase === "Failed" || phase === "Succeeded") {
    const reason = [pod.status?.reason, pod.status?.message].filter(Boolean).join(": ") || phase;
    return { error: new ContainerGoneError(`pod ${name} ended before it could be used (${reason})`, context) };
  }
  const waiting = pod.status?.containerStatuses?.[0]?.state?.waiting;
  if (waiting?.reason && IMAGE_PULL_FAILURES.has(waiting.reason)) {
    return {
      error: new ImageUnavailableError(
        `image ${image} could not be pulled on the cluster: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ""}`,
        { ...context, reason: waiting.reason },
      ),
    };
  }
  if (waiting?.reason && CONFIG_FAILURES.has(waiting.reason)) {
    return {
      error: new SandboxError(
        `pod ${name} cannot start its container: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ""}`,
        context,
      ),
    };
  }
  return undefined;
}

/** Why a pod is still pending, for the message when we give up waiting. */
function pendingReason(pod: V1Pod | undefined): string {
  const scheduled = pod?.status?.conditions?.find((c) => c.type === "PodScheduled");
  if (scheduled?.status === "False") return `not scheduled: ${scheduled.reason ?? ""} ${scheduled.message ?? ""}`.trim();
  const waiting = pod?.status?.containerStatuses?.[0]?.state?.waiting;
  if (waiting) return `container waiting: ${waiting.reason ?? ""} ${waiting.message ?? ""}`.trim();
  return `phase ${pod?.status?.phase ?? "unknown"}`;
}

/**
 * Waits until the pod's container runs, following a watch on that one pod (resumed from the
 * last version seen when the server ends it). Image pull failures, a pod that ends, and a
 * pod still not running after `timeoutMs` are errors naming the pod, the image and the reason.
 */
export async function awaitPodRunning(kube: KubeConnection, created: V1Pod, timeoutMs: number): Promise<V1Pod> {
  const name = created.metadata!.name!;
  let latest: V1Pod | undefined = created;
  let version = created.metadata?.resourceVersion;
  const first = judgePod(created);
  if (first && "error" in first) throw first.error;
  if (first) return created;

  return new Promise<V1Pod>((resolve, reject) => {
    let done = false;
    let controller: AbortController | undefined;
    const finish = (outcome: { pod: V1Pod } | { error: Error }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      controller?.abort();
      if ("error" in outcome) reject(outcome.error);
      else resolve(outcome.pod);
    };
    const timer = setTimeout(
      () =>
        finish({
          error: new SandboxError(`pod ${name} was not running after ${Math.round(timeoutMs / 1000)} s (${pendingReason(latest)})`, {
            pod: name,
          }),
        }),
      timeoutMs,
    );
    const watch = new Watch(kube.config);
    const start = async (): Promise<void> => {
      if (done) return;
      try {
        controller = await watch.watch(
          `/api/v1/namespaces/${kube.namespace}/pods`,
          { fieldSelector: `metadata.name=${name}`, resourceVersion: version, allowWatchBookmarks: false },
          (type: string, object: V1Pod & { code?: number }) => {
            if (type === "ERROR") {
              // 410 Gone: our version is too old; start over from the current state.
              version = undefined;
              return;
            }
            latest = object;
            version = object.metadata?.resourceVersion ?? version;
            if (type === "DELETED")
              return finish({ error: new ContainerGoneError(`pod ${name} was deleted while it started`, { pod: name }) });
            const verdict = judgePod(object);
            if (verdict && "error" in verdict) finish({ error: verdict.error });
            else if (verdict) finish({ pod: object });
          },
          (error: unknown) => {
            if (done) return;
            if (error && (error as { name?: string }).name !== "AbortError") {
              const status = (error as { statusCode?: number }).statusCode;
              if (status !== undefined && status < 500 && status !== 429 && status !== 410) {
                return finish({
                  error: kubeError(Object.assign(error as object, { code: status }), `watching pod ${name}`, { pod: name }),
                });
              }
            }
            // The server ended the watch (timeout, restart): resume after a breath.
            setTimeout(() => void start(), 200);
          },
        );
      } catch (error) {
        setTimeout(() => void start(), 1000);
        void error;
      }
    };
    void start();
  });
}
