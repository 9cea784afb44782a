import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImageUnavailableError, isInfrastructureError } from "../src/foundation/sandbox/errors.ts";
import { LABELS } from "../src/foundation/sandbox/owner.ts";
import { BASE_IMAGE } from "../src/foundation/sandbox/docker/base-image.ts";
import type { KubeConnection } from "../src/foundation/sandbox/kubernetes/kube-connection.ts";
import type { PodTemplate } from "../src/foundation/sandbox/kubernetes/pod-template.ts";
import { AGENT_CAP_DROP, SandboxBackendConfig } from "../src/foundation/sandbox/sandbox-backend.ts";
import { type KubeApiServer, startKubeApiServer } from "./support/kube-api/kube-api-server.ts";

// The Kubernetes back end's own duties, against the test API server: what its pods look like,
// how it meets a busy API server and a missing image, v4 servers, and the server's honesty.
// (The behaviour shared with Docker is in the contract suite, test/sandbox-contract.test.ts.)

let server: KubeApiServer;
let kube: KubeConnection;
let modules: {
  connectKubernetes: typeof import("../src/foundation/sandbox/kubernetes/kube-connection.ts").connectKubernetes;
  KubernetesSandbox: typeof import("../src/foundation/sandbox/kubernetes/kubernetes-sandbox.ts").KubernetesSandbox;
  loadPodTemplate: typeof import("../src/foundation/sandbox/kubernetes/pod-template.ts").loadPodTemplate;
  KubernetesBackend: typeof import("../src/foundation/sandbox/kubernetes/kubernetes-backend.ts").KubernetesBackend;
};

beforeAll(async () => {
  server = await startKubeApiServer();
  process.env.KUBECONFIG = server.kubeconfigPath;
  const [{ connectKubernetes }, { KubernetesSandbox }, { loadPodTemplate }, { KubernetesBackend }] = await Promise.all([
    import("../src/foundation/sandbox/kubernetes/kube-connection.ts"),
    import("../src/foundation/sandbox/kubernetes/kubernetes-sandbox.ts"),
    import("../src/foundation/sandbox/kubernetes/pod-template.ts"),
    import("../src/foundation/sandbox/kubernetes/kubernetes-backend.ts"),
  ]);
  modules = { connectKubernetes, KubernetesSandbox, loadPodTemplate, KubernetesBackend };
  kube = await connectKubernetes();
}, 120_000);

afterAll(async () => {
  await server?.close();
}, 60_000);

const labels = { [LABELS.run]: "k8s-test:run/1", [LABELS.instance]: "astropy__astropy-12907", [LABELS.role]: "agent" };

describe("Kubernetes sandbox pods", () => {
  it("makes a pod from the image with the run's labels, limits, deadline and the template's scheduling", async () => {
    const file = `${server.kubeconfigPath}.template.yaml`;
    writeFileSync(
      file,
      [
        "spec:",
        "  nodeSelector: { pool: swe-bench }",
        "  tolerations: [{ key: dedicated, operator: Equal, value: eval, effect: NoSchedule }]",
        "  serviceAccountName: bottega-runner",
        "  imagePullSecrets: [{ name: registry-creds }]",
        "  containers:",
        "    - resources: { requests: { cpu: 500m } }",
      ].join("\n"),
    );
    const template = modules.loadPodTemplate(file);
    const box = await modules.KubernetesSandbox.create(
      kube,
      { image: BASE_IMAGE, labels, memoryBytes: 1 << 30, cpus: 2, workdir: "/tmp", user: "root" },
      { template, activeDeadlineSeconds: 3600 },
    );
    try {
      const pod = server.registry.get(server.namespace, box.id)!;
      expect(pod.status.phase).toBe("Running");
      expect(pod.metadata.name).toMatch(/^bottega-agent-astropy-astropy-12907-[0-9a-f]{6}$/);
      // A label value cannot hold ':' or '/': sanitised, and the exact value kept in an annotation.
      expect(pod.metadata.labels).toMatchObject({
        [LABELS.run]: "k8s-test_run_1",
        [LABELS.instance]: "astropy__astropy-12907",
        [LABELS.role]: "agent",
      });
      expect(JSON.parse(pod.metadata.annotations!["bottega.labels"]!)).toEqual(labels);
      expect(pod.metadata.annotations!["bottega.owner"]).toContain(`:${process.pid}:`);
      expect(pod.spec).toMatchObject({
        restartPolicy: "Never",
        activeDeadlineSeconds: 3600,
        nodeSelector: { pool: "swe-bench" },
        tolerations: [{ key: "dedicated", operator: "Equal", value: "eval", effect: "NoSchedule" }],
        serviceAccountName: "bottega-runner",
        imagePullSecrets: [{ name: "registry-creds" }],
      });
      expect(pod.spec.containers[0]).toMatchObject({
        image: BASE_IMAGE,
        imagePullPolicy: "IfNotPresent",
        workingDir: "/tmp",
        resources: { requests: { cpu: "500m", memory: String(1 << 30) }, limits: { cpu: "2000m", memory: String(1 << 30) } },
      });
      expect((await box.exec("pwd")).output).toBe("/tmp\n");
    } finally {
      await box.remove();
    }
  }, 60_000);

  it("gives agent pods the containment as defaults a template may override, key by key; grading pods none", async () => {
    const file = `${server.kubeconfigPath}.security.yaml`;
    writeFileSync(
      file,
      [
        "spec:",
        "  containers:",
        "    - securityContext: { capabilities: { drop: [ALL], add: [CHOWN] } }",
        "      resources: { limits: { ephemeral-storage: 5Gi } }",
      ].join("\n"),
    );
    const template = modules.loadPodTemplate(file);
    const backend = (template?: PodTemplate) =>
      new modules.KubernetesBackend(
        kube,
        SandboxBackendConfig.parse({ runId: "k8s-containment", agent: { memoryBytes: 300 * 2 ** 20, diskBytes: 2 ** 30 } }),
        template,
      );
    const plain = backend();
    const templated = backend(template);
    try {
      const [agent, grade, overridden] = await Promise.all([
        plain.create({ image: BASE_IMAGE, role: "agent" }),
        plain.create({ image: BASE_IMAGE, role: "grade" }),
        templated.create({ image: BASE_IMAGE, role: "agent" }),
      ]);
      const container = (id: string) => server.registry.get(server.namespace, id)!.spec.containers[0]!;
      expect(container(agent.id)).toMatchObject({
        securityContext: { runAsUser: 0, allowPrivilegeEscalation: false, capabilities: { drop: [...AGENT_CAP_DROP], add: [] } },
        resources: {
          requests: { memory: String(300 * 2 ** 20), "ephemeral-storage": String(2 ** 30) },
          limits: { memory: String(300 * 2 ** 20), "ephemeral-storage": String(2 ** 30) },
        },
      });
      expect(container(grade.id).securityContext).toEqual({ runAsUser: 0 });
      expect(container(grade.id).resources).toEqual({ requests: {}, limits: {} });
      // The template's capabilities replace ours whole; what it does not set stays ours.
      expect(container(overridden.id)).toMatchObject({
        securityContext: { runAsUser: 0, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"], add: ["CHOWN"] } },
        resources: { requests: { "ephemeral-storage": String(2 ** 30) }, limits: { "ephemeral-storage": "5Gi" } },
      });
      expect((await overridden.exec("grep CapEff /proc/self/status")).output).toMatch(/CapEff:\s*0000000000000001\n/);
    } finally {
      await Promise.all([plain.removeAll(), templated.removeAll()]);
    }
  }, 60_000);

  it("a pod evicted past its ephemeral-storage limit fails its commands as infrastructure, naming the disk limit", async () => {
    const box = await modules.KubernetesSandbox.create(kube, { image: BASE_IMAGE, labels, diskBytes: 50 * 2 ** 20 });
    try {
      const filling = await box.exec("head -c 80000000 /dev/zero > /tmp/fill; sleep 60", { timeoutMs: 30_000 }).then(
        (result) => result.exitCode,
        (error: Error) => error,
      );
      await expect.poll(() => server.registry.get(server.namespace, box.id)?.status.reason, { timeout: 15_000 }).toBe("Evicted");
      expect(filling).not.toBe(0);
      const error = await box.exec("true").catch((e: unknown) => e);
      expect(isInfrastructureError(error)).toBe(true);
      expect((error as Error).message).toMatch(/wrote past its disk limit \(ephemeral-storage 50 MiB, set by --disk\)/);
      expect((error as Error).message).toMatch(/Pod ephemeral local storage usage exceeds the total limit of containers 52428800/);
      // What ends the episode exit_disk, as on Docker, rather than a retried infrastructure failure.
      expect(box.limitBreach()).toMatchObject({ limit: "disk", message: (error as Error).message });
    } finally {
      await box.remove();
    }
  }, 60_000);

  it("names the file and the field of a bad pod template", () => {
    const file = `${server.kubeconfigPath}.bad.yaml`;
    writeFileSync(file, "spec:\n  nodeSelectr: { pool: x }\n");
    expect(() => modules.loadPodTemplate(file)).toThrow(`--pod-template ${file}: field spec:`);
    expect(() => modules.loadPodTemplate(file)).toThrow(/unknown field "nodeSelectr"/);
    writeFileSync(file, "spec:\n  imagePullSecrets: [registry-creds]\n");
    expect(() => modules.loadPodTemplate(file)).toThrow(/field spec\.imagePullSecrets\.0/);
  });

  it("classifies an image the nodes cannot pull as ImageUnavailableError naming the image, and deletes the pod", async () => {
    const image = "registry.invalid/no-such/image:1.0";
    const error = await modules.KubernetesSandbox.create(kube, { image, labels }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageUnavailableError);
    expect((error as Error).message).toContain(image);
    expect((error as Error).message).toMatch(/ErrImagePull|ImagePullBackOff/);
    await expect
      .poll(() => server.registry.list(server.namespace, (pod) => pod.spec.containers[0]!.image === image).length, { timeout: 10_000 })
      .toBe(0);
  }, 30_000);

  it("retries creation on 429 (honouring Retry-After), 5xx and a lost answer (adopting its own pod on 409)", async () => {
    server.createFaults.push(429, 500, "drop-response");
    const before = server.requests.filter((r) => r.startsWith("POST")).length;
    const box = await modules.KubernetesSandbox.create(kube, { image: BASE_IMAGE, labels: { ...labels, [LABELS.run]: "k8s-retry" } });
    try {
      expect(server.requests.filter((r) => r.startsWith("POST")).length - before).toBe(4);
      // The dropped answer's pod was adopted, not duplicated.
      expect(server.registry.list(server.namespace, (pod) => pod.metadata.labels?.[LABELS.run] === "k8s-retry")).toHaveLength(1);
      expect((await box.exec("echo adopted")).output).toBe("adopted\n");
    } finally {
      await box.remove();
    }
  }, 60_000);

  it("says which namespace and server refused, and when there is no kubeconfig", async () => {
    await expect(modules.connectKubernetes({ namespace: "nowhere" })).rejects.toThrow(
      /namespace "nowhere".*namespaces "nowhere" not found/,
    );
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = "/nonexistent/kubeconfig";
    try {
      await expect(modules.connectKubernetes()).rejects.toThrow(/KUBECONFIG names \/nonexistent\/kubeconfig, which does not exist/);
    } finally {
      process.env.KUBECONFIG = saved;
    }
  });

  it("works with a server that speaks only v4.channel.k8s.io (no stdin close): files, exit codes, the shell", async () => {
    const old = await startKubeApiServer({ execProtocols: ["v4.channel.k8s.io"] });
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = old.kubeconfigPath;
    try {
      const oldKube = await modules.connectKubernetes();
      const box = await modules.KubernetesSandbox.create(oldKube, { image: BASE_IMAGE, labels });
      await box.writeFile("/tmp/a/b.txt", "over v4\n");
      expect((await box.readFile("/tmp/a/b.txt")).toString()).toBe("over v4\n");
      expect((await box.exec("exit 7")).exitCode).toBe(7);
      const shell = await box.openShell();
      expect((await shell.run("cd /tmp/a && cat b.txt")).output).toBe("over v4\n");
      await shell.close();
      await box.remove();
    } finally {
      process.env.KUBECONFIG = saved;
      await old.close();
    }
  }, 90_000);

  it("a pod past its active deadline is failed by the cluster and commands on it fail as infrastructure", async () => {
    const box = await modules.KubernetesSandbox.create(kube, { image: BASE_IMAGE, labels }, { activeDeadlineSeconds: 2 });
    try {
      await expect.poll(() => server.registry.get(server.namespace, box.id)?.status.phase, { timeout: 15_000 }).toBe("Failed");
      expect(server.registry.get(server.namespace, box.id)?.status.reason).toBe("DeadlineExceeded");
      const error = await box.exec("true").catch((e: unknown) => e);
      expect(isInfrastructureError(error)).toBe(true);
      expect((error as Error).message).toMatch(/completed pod; current phase is Failed/);
    } finally {
      await box.remove();
    }
  }, 30_000);
});

describe("the test Kubernetes API server", () => {
  const get = async (path: string, token = true) => {
    const { KubeConfig } = await import("@kubernetes/client-node");
    const config = new KubeConfig();
    config.loadFromFile(server.kubeconfigPath);
    const options: { ca?: Buffer; headers?: Record<string, string> } = {};
    await config.applyToHTTPSOptions(options);
    const { request } = await import("node:https");
    return new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${server.url}${path}`, { ca: options.ca, headers: token ? options.headers : {} }, (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.end();
    });
  };

  it("answers errors with v1 Status bodies, as a real API server", async () => {
    const unauthorized = await get(`/api/v1/namespaces/${server.namespace}/pods`, false);
    expect(unauthorized.status).toBe(401);
    expect(JSON.parse(unauthorized.body)).toMatchObject({ kind: "Status", status: "Failure", reason: "Unauthorized", code: 401 });
    const missing = await get(`/api/v1/namespaces/${server.namespace}/pods/nope`);
    expect(JSON.parse(missing.body)).toMatchObject({
      kind: "Status",
      reason: "NotFound",
      message: 'pods "nope" not found',
      details: { name: "nope", kind: "pods" },
      code: 404,
    });
    const badSelector = await get(`/api/v1/namespaces/${server.namespace}/pods?labelSelector=${encodeURIComponent("a in b")}`);
    expect(badSelector.status).toBe(400);
  });

  it("streams watch events as JSON lines and answers a too-old resourceVersion with an ERROR 410 event", async () => {
    const expired = await get(
      `/api/v1/namespaces/${server.namespace}/pods?watch=true&resourceVersion=0&timeoutSeconds=1&fieldSelector=metadata.name%3Dnone`,
    );
    expect(expired.status).toBe(200);
    expect(expired.body).toBe("");
    const gone = await get(`/api/v1/namespaces/${server.namespace}/pods?watch=true&resourceVersion=-5&timeoutSeconds=1`);
    expect(JSON.parse(gone.body.trim())).toMatchObject({ type: "ERROR", object: { kind: "Status", code: 410, reason: "Expired" } });
    const box = await modules.KubernetesSandbox.create(kube, { image: BASE_IMAGE, labels: { ...labels, [LABELS.run]: "k8s-watch" } });
    await box.remove();
    const events = await get(
      `/api/v1/namespaces/${server.namespace}/pods?watch=1&resourceVersion=1&timeoutSeconds=1&labelSelector=${encodeURIComponent(`${LABELS.run}=k8s-watch`)}`,
    );
    const types = events.body
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(line) as { type: string }).type);
    expect(types[0]).toBe("ADDED");
    expect(types).toContain("MODIFIED");
    expect(types.at(-1)).toBe("DELETED");
  }, 60_000);
});
