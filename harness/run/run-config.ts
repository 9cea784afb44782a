import { availableParallelism } from "node:os";
import { z } from "zod";
import { ModelConfig } from "../../src/foundation/model/model-config.ts";
import { AgentConfig } from "../../scaffold/agent.ts";
import { loadConfiguration } from "../../scaffold/config/swe-agent-config.ts";
import { Profile } from "../../scaffold/profiles.ts";
import { BUILTIN_OBSERVATIONS, ObservationMode } from "../../scaffold/bundles/observation-mode.ts";
import { Semantics } from "../grading/test-status.ts";
import { AgentContainment, type SandboxBackendConfigInput } from "../../src/foundation/sandbox/sandbox-backend.ts";
import { SANDBOX_BACKENDS } from "../../src/foundation/sandbox/open-backend.ts";
import { imageTemplateProblem } from "../images/image-name.ts";
import { REPO_ROOT } from "../evaluation/testbed.ts";

/** Grading runs the task's test suite: about one per core, as the official docs advise. */
const DEFAULT_GRADE_WORKERS = Math.max(1, Math.min(24, Math.floor(availableParallelism() * 0.75)));

/**
 * Everything that decides what a run does; stored in results/<run_id>/run.json (run-json.ts:
 * snake_case, the API key left out). A run either grades given predictions, or runs the agent with a model (and grades
 * its patches unless `grade` is false, as in `bottega run`).
 */
export const RunConfig = z
  .object({
    runId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "letters, digits, '.', '_' and '-' only"),
    resultsDir: z.string().default("results"),
    dataset: z.string(),
    split: z.string().default("test"),
    instances: z.array(z.string()).optional(),
    /** A predictions file, or "gold". */
    predictions: z.string().optional(),
    model: ModelConfig.optional(),
    /**
     * Every server of the model when there are several (vLLM replicas); model.baseURL is then
     * the first. Each episode is pinned to one of them.
     */
    modelURLs: z.array(z.url()).min(1).optional(),
    /** model_name_or_path written into predictions; default: the served model id. */
    modelName: z.string().optional(),
    profile: Profile.default("swe-agent"),
    /** What produces the observations: Bottega's built-in tools, or a user's SWE-agent bundles from a checkout. */
    observationMode: ObservationMode.default(BUILTIN_OBSERVATIONS),
    /** Default: the davinci-dev configuration (configs/davinci-dev.yaml). */
    agent: AgentConfig.prefault(() => loadConfiguration("davinci-dev").agent),
    templatesPath: z.string().optional(),
    reviewOnSubmit: z.boolean().default(true),
    grade: z.boolean().default(true),
    /** Parallel agent episodes: bounded by what the model server serves well at once. */
    workers: z.number().int().positive().default(8),
    gradeWorkers: z.number().int().positive().default(DEFAULT_GRADE_WORKERS),
    pullWorkers: z.number().int().positive().default(2),
    /** Seconds eval.sh may run (official default 1800). */
    timeoutSec: z.number().positive().default(1800),
    /** Docker network of grading containers: the official harness leaves it on ("bridge"). */
    network: z.string().default("bridge"),
    /** Docker network of agent containers. */
    agentNetwork: z.string().default("bridge"),
    imageTemplate: z
      .string()
      .superRefine((template, context) => {
        const problem = imageTemplateProblem(template);
        if (problem) context.addIssue({ code: "custom", message: problem });
      })
      .optional(),
    evalScript: z.enum(["generated", "dataset"]).default("generated"),
    resetPolicy: z.enum(["v4.1.0", "539", "v5-dataset"]).default("539"),
    grading: Semantics.default("v4"),
    memoryBytes: z.number().int().positive().optional(),
    /** How agent containers are contained (their memory is memoryBytes when given). */
    containment: AgentContainment.omit({ memoryBytes: true }).prefault({}),
    /** A fork bomb must hit a wall, not the host. */
    pidsLimit: z.number().int().positive().default(4096),
    cpus: z.number().positive().optional(),
    /** Keep instance images pulled by this run (the official --cache_level instance). */
    keepImages: z.boolean().default(false),
    /**
     * Keep containers off the episodes' critical path: the first model call is sent while the
     * container starts, and the container is removed after the result is recorded. Off only to
     * measure what that saves.
     */
    overlapContainer: z.boolean().default(true),
    /**
     * Bytes of image layers the run may hold at once (what it pulled, layers shared between its
     * images counted once); pulls wait for room. Unbounded when absent.
     */
    maxImageDiskBytes: z.number().int().positive().optional(),
    /** Where sandboxes run: the local Docker engine or a Kubernetes cluster (KUBECONFIG). */
    sandbox: z.enum(SANDBOX_BACKENDS).default("docker"),
    /** Kubernetes: the pods' namespace (default: the kubeconfig context's). */
    namespace: z.string().optional(),
    /** Kubernetes: a Pod manifest merged into every sandbox pod (node selectors, tolerations, …). */
    podTemplate: z.string().optional(),
    /** Infrastructure failures (engine, container, pull) retried per instance before it is an error. */
    infraRetries: z.number().int().min(0).default(2),
  })
  .refine((config) => (config.predictions === undefined) !== (config.model === undefined), {
    message: "give either predictions to grade or a model to run, not both",
    path: ["predictions"],
  })
  // The egress proxy of "allowlist" is a Docker container on a Docker network: pods cannot use
  // it, and running them with the cluster's open network instead would be a silent downgrade.
  .refine((config) => !(config.sandbox === "kubernetes" && config.agentNetwork === "allowlist"), {
    message:
      "allowlist is not available on Kubernetes (its egress proxy is a Docker container): leave the default and contain agent pods with a NetworkPolicy on the label bottega.role=agent (docs/kubernetes.md)",
    path: ["agentNetwork"],
  });
export type RunConfig = z.infer<typeof RunConfig>;
export type RunConfigInput = z.input<typeof RunConfig>;

/**
 * The sandbox back end's configuration for a run: its labels, limits and networks, and the
 * SWE-bench images' repository as every command's working directory.
 */
export function sandboxConfigFor(config: RunConfig): SandboxBackendConfigInput {
  return {
    runId: config.runId,
    memoryBytes: config.memoryBytes,
    pidsLimit: config.pidsLimit,
    cpus: config.cpus,
    network: { agent: config.agentNetwork, grade: config.network },
    agent: config.containment,
    workdir: REPO_ROOT,
    user: "root",
    kubernetes: { namespace: config.namespace, podTemplate: config.podTemplate },
  };
}
