import type Docker from "dockerode";
import { connectDocker } from "../src/foundation/sandbox/docker/docker-engine.ts";
import { DockerSandbox } from "../src/foundation/sandbox/docker/docker-sandbox.ts";
import { DockerBackend } from "../src/foundation/sandbox/docker/docker-backend.ts";
import { reapDeadContainers } from "../src/foundation/sandbox/docker/reaper.ts";
import { SandboxBackendConfig, type SandboxBackendConfigInput } from "../src/foundation/sandbox/sandbox-backend.ts";
import { sandboxContract } from "./support/sandbox-contract.ts";
import { type KubeApiServer, startKubeApiServer } from "./support/kube-api/kube-api-server.ts";

// One contract, every back end: Docker on the local engine, and Kubernetes against the test
// API server (pods as real containers). A real cluster joins with BOTTEGA_K8S_TEST=1 and a kubeconfig.

let docker: Docker;
sandboxContract("docker", async () => {
  docker = await connectDocker();
  return {
    create: (spec) => DockerSandbox.create(docker, spec),
    exists: (id) =>
      docker
        .getContainer(id)
        .inspect()
        .then(
          () => true,
          () => false,
        ),
    reap: () => reapDeadContainers(docker),
    openBackend: async (config) => new DockerBackend(docker, SandboxBackendConfig.parse(config)),
    childScript: (image, labels) => `
      import { connectDocker } from "./src/foundation/sandbox/docker/docker-engine.ts";
      import { DockerSandbox } from "./src/foundation/sandbox/docker/docker-sandbox.ts";
      const box = await DockerSandbox.create(await connectDocker(), { image: ${JSON.stringify(image)}, network: "none", labels: ${JSON.stringify(labels)} });
      console.log(box.id);
      setInterval(() => {}, 1000);
    `,
  };
});

/** The Kubernetes back end against a cluster given by a kubeconfig. */
async function kubernetesBackend(kubeconfig: string | undefined) {
  const { connectKubernetes } = await import("../src/foundation/sandbox/kubernetes/kube-connection.ts");
  const { KubernetesSandbox } = await import("../src/foundation/sandbox/kubernetes/kubernetes-sandbox.ts");
  const { reapDeadPods } = await import("../src/foundation/sandbox/kubernetes/reaper.ts");
  const { KubernetesBackend } = await import("../src/foundation/sandbox/kubernetes/kubernetes-backend.ts");
  if (kubeconfig) process.env.KUBECONFIG = kubeconfig;
  const kube = await connectKubernetes({ namespace: process.env.BOTTEGA_K8S_NAMESPACE });
  return {
    create: (spec: Parameters<typeof KubernetesSandbox.create>[1]) => KubernetesSandbox.create(kube, spec),
    exists: async (id: string) => {
      const pod = await kube.api.readNamespacedPod({ name: id, namespace: kube.namespace }).catch(() => undefined);
      return pod !== undefined && !pod.metadata?.deletionTimestamp;
    },
    reap: () => reapDeadPods(kube),
    openBackend: async (config: SandboxBackendConfigInput) => new KubernetesBackend(kube, SandboxBackendConfig.parse(config), undefined),
    childScript: (image: string, labels: Record<string, string>) => `
      import { connectKubernetes } from "./src/foundation/sandbox/kubernetes/kube-connection.ts";
      import { KubernetesSandbox } from "./src/foundation/sandbox/kubernetes/kubernetes-sandbox.ts";
      const box = await KubernetesSandbox.create(await connectKubernetes({ namespace: ${JSON.stringify(kube.namespace)} }), { image: ${JSON.stringify(image)}, labels: ${JSON.stringify(labels)} });
      console.log(box.id);
      setInterval(() => {}, 1000);
    `,
    childEnv: { KUBECONFIG: process.env.KUBECONFIG ?? "" },
  };
}

let server: KubeApiServer;
sandboxContract(
  "kubernetes (test API server)",
  async () => {
    server = await startKubeApiServer();
    return kubernetesBackend(server.kubeconfigPath);
  },
  () => server?.close(),
);

if (process.env.BOTTEGA_K8S_TEST === "1") sandboxContract("kubernetes (real cluster)", () => kubernetesBackend(undefined));
else console.warn("SKIPPED sandbox contract on a real cluster: set BOTTEGA_K8S_TEST=1 and KUBECONFIG (see docs/kubernetes.md)");
