import type { V1Pod } from "@kubernetes/client-node";
import { apiStatus, kubeError, unreachable } from "./kube-errors.ts";
import type { KubeConnection } from "./kube-connection.ts";
import { ANNOTATIONS } from "./pod-manifest.ts";

/** Attempts before a pod creation failure is final, and the first back-off. */
const ATTEMPTS = 6;
const FIRST_BACKOFF_MS = 500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The Retry-After the API server sent with a 429 (seconds), if any. */
function retryAfterMs(error: unknown): number | undefined {
  const headers = (error as { headers?: Record<string, string> } | null)?.headers;
  const value = headers?.["retry-after"] ?? headers?.["Retry-After"];
  const seconds = value === undefined ? NaN : Number(value);
  return Number.isFinite(seconds) ? seconds * 1000 : undefined;
}

/**
 * Creates a pod, retrying what a busy or restarting API server answers (429 with its
 * Retry-After, 5xx, a dropped connection) with jittered exponential back-off. A 409 after a
 * retry usually means our earlier attempt succeeded and only its answer was lost: when the
 * existing pod carries our nonce it is ours and is adopted; otherwise the name is taken and a
 * fresh one is tried. `rename` gives the next name.
 */
export async function createPodWithRetry(kube: KubeConnection, pod: V1Pod, rename: () => string): Promise<V1Pod> {
  const nonce = pod.metadata!.annotations![ANNOTATIONS.nonce];
  for (let attempt = 1; ; attempt++) {
    try {
      return await kube.api.createNamespacedPod({ namespace: kube.namespace, body: pod });
    } catch (error) {
      const status = apiStatus(error);
      if (status === 409) {
        const existing = await kube.api.readNamespacedPod({ name: pod.metadata!.name!, namespace: kube.namespace }).catch(() => undefined);
        if (existing && existing.metadata?.annotations?.[ANNOTATIONS.nonce] === nonce) return existing;
        pod.metadata!.name = rename();
      }
      const retryable =
        status === 409 || status === 429 || (status !== undefined && status >= 500) || (status === undefined && unreachable(error));
      if (!retryable || attempt >= ATTEMPTS) {
        throw kubeError(error, `creating pod ${pod.metadata!.name} from ${pod.spec!.containers[0]!.image} (attempt ${attempt})`, {
          image: pod.spec!.containers[0]!.image,
          pod: pod.metadata!.name,
        });
      }
      if (status !== 409) {
        const backoff = FIRST_BACKOFF_MS * 2 ** (attempt - 1);
        await sleep(retryAfterMs(error) ?? backoff / 2 + Math.random() * backoff);
      }
    }
  }
}
