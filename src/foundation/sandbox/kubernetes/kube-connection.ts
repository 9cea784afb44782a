import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { EngineUnavailableError, SandboxError } from "../errors.ts";
import { kubeError } from "./kube-errors.ts";

/** A cluster to run pods in: the loaded kubeconfig, its API client and the namespace used. */
export interface KubeConnection {
  readonly config: KubeConfig;
  readonly api: CoreV1Api;
  readonly namespace: string;
  /** The API server's address, for messages. */
  readonly server: string;
}

/**
 * Loads the kubeconfig (KUBECONFIG, else ~/.kube/config, else the in-cluster service account)
 * and checks that the API server answers and the namespace is usable, so a wrong cluster or
 * namespace is one clear error before any work starts.
 */
export async function connectKubernetes(options: { namespace?: string } = {}): Promise<KubeConnection> {
  const config = new KubeConfig();
  const files = (process.env.KUBECONFIG ?? "").split(":").filter(Boolean);
  const home = join(homedir(), ".kube", "config");
  try {
    if (files.length > 0) {
      const missing = files.find((file) => !existsSync(file));
      if (missing) throw new Error(`KUBECONFIG names ${missing}, which does not exist`);
      config.loadFromDefault();
    } else if (existsSync(home)) {
      config.loadFromFile(home);
    } else if (process.env.KUBERNETES_SERVICE_HOST) {
      config.loadFromCluster();
    } else {
      throw new Error(`no kubeconfig: set KUBECONFIG or create ${home}`);
    }
  } catch (error) {
    throw new SandboxError(
      `cannot load the Kubernetes configuration: ${(error as Error).message}`,
      { kubeconfig: files.join(":") || home },
      { cause: error },
    );
  }
  const cluster = config.getCurrentCluster();
  if (!cluster)
    throw new SandboxError(`the kubeconfig's current context "${config.getCurrentContext()}" names no cluster`, {
      context: config.getCurrentContext(),
    });
  const namespace = options.namespace ?? config.getContextObject(config.getCurrentContext())?.namespace ?? "default";
  const api = config.makeApiClient(CoreV1Api);
  try {
    await api.listNamespacedPod({ namespace, limit: 1 });
  } catch (error) {
    const mapped = kubeError(error, `listing pods in namespace "${namespace}" at ${cluster.server}`, { namespace });
    if (mapped instanceof EngineUnavailableError) throw mapped;
    throw new SandboxError(
      `the Kubernetes API server at ${cluster.server} refused to list pods in namespace "${namespace}": ${mapped.message}`,
      { namespace, server: cluster.server },
      { cause: error },
    );
  }
  return { config, api, namespace, server: cluster.server };
}
