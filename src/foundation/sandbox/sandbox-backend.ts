import { z } from "zod";
import { DEFAULT_ALLOWED_HOSTS } from "./egress-proxy.ts";
import type { Sandbox } from "./sandbox.ts";

/**
 * What a sandbox is for. Decides its network (see SandboxBackendConfig.network) and is recorded
 * on it as the `bottega.role` label.
 */
export const SandboxRole = z.enum(["agent", "grade", "build"]);
export type SandboxRole = z.infer<typeof SandboxRole>;

/**
 * Capabilities dropped from agent sandboxes. Docker's default set minus these keeps what a
 * SWE-bench workflow does as root (chown/chmod of any file, kill, setuid/setgid for tools that
 * switch users, binding any port — Docker lets containers bind low ports without
 * NET_BIND_SERVICE); what goes is raw packets (spoofing), device nodes, chroot, audit writes and
 * file capabilities, none of which a repository's test suite needs.
 */
export const AGENT_CAP_DROP = ["NET_RAW", "MKNOD", "SYS_CHROOT", "AUDIT_WRITE", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE"] as const;

/**
 * How an agent sandbox is contained: the model's commands run there. Grading sandboxes keep
 * the official harness's container (only the run-wide limits apply), so verdicts stay the same.
 */
export const AgentContainment = z.object({
  memoryBytes: z
    .number()
    .int()
    .positive()
    .default(8 * 2 ** 30),
  /** The writable layer's bound; past it the commands are stopped and the episode ends exit_disk. */
  diskBytes: z
    .number()
    .int()
    .positive()
    .default(20 * 2 ** 30),
  noNewPrivileges: z.boolean().default(true),
  capDrop: z.array(z.string()).default([...AGENT_CAP_DROP]),
  capAdd: z.array(z.string()).default([]),
  /** Hosts the egress proxy forwards to when the agent network is "allowlist". */
  allowHosts: z.array(z.string()).default([...DEFAULT_ALLOWED_HOSTS]),
});
export type AgentContainment = z.infer<typeof AgentContainment>;

/**
 * Everything a back end needs to know about the sandboxes of one run, given once when it is
 * opened, so that the agent and the harness ask only for "a sandbox of this image, for this role".
 */
export const SandboxBackendConfig = z.object({
  /** Recorded on every sandbox (label `bottega.run`), so `status` and the reaper can find them. */
  runId: z.string().optional(),
  /** Memory limit per sandbox, swap included. */
  memoryBytes: z.number().int().positive().optional(),
  /** A fork bomb must hit a wall, not the host. */
  pidsLimit: z.number().int().positive().optional(),
  cpus: z.number().positive().optional(),
  /**
   * Network per role, in the back end's terms (Docker: a network mode such as "bridge" or
   * "none"). Grading keeps the official harness's default; image builds need none.
   */
  network: z
    .object({
      agent: z.string().default("bridge"),
      grade: z.string().default("bridge"),
      build: z.string().default("none"),
    })
    .prefault({}),
  /** Working directory of commands that give no cwd (SWE-bench images: /testbed). */
  workdir: z.string().optional(),
  /** User commands run as unless an exec says otherwise. */
  user: z.string().default("root"),
  /** Limits and privileges of agent sandboxes (see AgentContainment). */
  agent: AgentContainment.prefault({}),
  /** Platform to run images as, e.g. linux/amd64 for the official x86_64 images. */
  platform: z.string().optional(),
  /** Kubernetes only (see docs/kubernetes.md). */
  kubernetes: z
    .object({
      /** Namespace of the pods; default: the kubeconfig context's, else "default". */
      namespace: z.string().optional(),
      /** A Pod manifest whose scheduling, identity and resources every sandbox pod gets. */
      podTemplate: z.string().optional(),
      /** Seconds after which the cluster stops a pod, whatever happened to its owner. */
      activeDeadlineSeconds: z.number().int().positive().optional(),
    })
    .prefault({}),
});
export type SandboxBackendConfig = z.infer<typeof SandboxBackendConfig>;
export type SandboxBackendConfigInput = z.input<typeof SandboxBackendConfig>;

/** One sandbox to create. */
export interface SandboxRequest {
  image: string;
  role: SandboxRole;
  /** The task it serves (label `bottega.instance`). */
  instanceId?: string;
  /** A name for people reading `docker ps` or `kubectl get pods`; back ends may adapt it to their rules. */
  name?: string;
}

/** A sandbox found by `list` or removed by `reapDead`, described by its labels. */
export interface SandboxInfo {
  id: string;
  runId?: string;
  instanceId?: string;
  role?: string;
  /** host:pid:starttime of the process that created it (see owner.ts). */
  owner?: string;
}

export interface PullProgress {
  image: string;
  status: string;
  /** Bytes downloaded and total over the layers seen so far (0 when unknown). */
  current: number;
  total: number;
}

/** One layer of an image: its id (the same in every image that holds it) and size on disk. */
export interface ImageLayer {
  id: string;
  bytes: number;
}

/**
 * A place that runs sandboxes (the local Docker engine; a Kubernetes cluster). Opened once per
 * process through `openSandboxBackend` (open-backend.ts), which is the only way the rest of the
 * program reaches a back end. Errors are the typed errors of errors.ts: failures of the machine
 * are recognised by `isInfrastructureError`, a missing image is an ImageUnavailableError.
 */
export interface SandboxBackend {
  /** The back end's name, as given to openSandboxBackend. */
  readonly name: string;
  /** The configuration it was opened with, defaults applied. */
  readonly config: SandboxBackendConfig;

  /**
   * Creates and starts a sandbox from `image`, with the run's labels, limits, user, workdir and
   * the role's network. It lives until `remove()` (or `removeAll`, or the reaper after a crash).
   */
  create(request: SandboxRequest): Promise<Sandbox>;

  /**
   * Whether `image` can be started without a pull first. A back end whose nodes pull for
   * themselves may answer true and make pullImage a no-op.
   */
  hasImage(image: string): Promise<boolean>;
  /** Pulls an image, reporting progress; ImageUnavailableError (naming the image) when it cannot. */
  pullImage(image: string, options?: { onProgress?: (progress: PullProgress) => void }): Promise<void>;
  /** Removes an image pulled for the run; false when it is gone already or still in use. */
  removeImage(image: string): Promise<boolean>;
  /**
   * For back ends with a local image store, what a run's images hold on disk: an image's
   * layers, and the layers of every image there (to leave out what was there before).
   */
  imageLayers?(image: string): Promise<ImageLayer[]>;
  localLayers?(): Promise<Set<string>>;

  /** Sandboxes of bottega (of one run when `runId` is given), whoever created them. */
  list(filter?: { runId?: string }): Promise<SandboxInfo[]>;
  /**
   * Removes sandboxes whose creating process is dead (a crash, a kill -9), and returns them.
   * Sandboxes of live processes, or of other hosts, are left alone.
   */
  reapDead(): Promise<SandboxInfo[]>;
  /** Removes every sandbox this back end created and has not removed yet (Ctrl-C, end of run). */
  removeAll(): Promise<void>;

  /**
   * Building images from sandboxes (fixture images, the base image), for back ends that own an
   * image store; undefined elsewhere.
   */
  readonly workshop?: ImageWorkshop;
}

/** Building images: what `bottega images build-*` and the fixture suites need. */
export interface ImageWorkshop {
  /** Makes sure the Python base image exists, building it when it is missing. */
  ensureBaseImage(options?: { log?: (line: string) => void; mirror?: string }): Promise<{ built: boolean; route?: string }>;
  /** Labels of a local image; undefined when there is no such image. */
  imageLabels(image: string): Promise<Record<string, string> | undefined>;
  /** Copies the regular files of a host folder into a sandbox, under `path` (absolute). */
  copyDirectory(sandbox: Sandbox, hostDir: string, path: string): Promise<void>;
  /** Saves a sandbox's file system as image `image` ("repo:tag"). */
  commit(sandbox: Sandbox, image: string, options?: { workdir?: string; labels?: Record<string, string>; cmd?: string[] }): Promise<void>;
}

/** The Python image the fixture images are built on. */
export const BASE_IMAGE = "bottega/python-base:3.11";
