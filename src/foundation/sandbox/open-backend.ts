import { SandboxError } from "./errors.ts";
import { SandboxBackendConfig, type SandboxBackend, type SandboxBackendConfigInput } from "./sandbox-backend.ts";

/** The back ends `openSandboxBackend` knows, by name. */
export const SANDBOX_BACKENDS = ["docker", "kubernetes"] as const;
export type SandboxBackendName = (typeof SANDBOX_BACKENDS)[number];

/**
 * Opens the named back end, configured once for the whole run. Its module is imported only
 * here and only when asked for, so a command that needs no sandbox never loads an engine
 * client, and nothing else in the program depends on which back end runs the sandboxes.
 */
export async function openSandboxBackend(name: string, config: SandboxBackendConfigInput = {}): Promise<SandboxBackend> {
  const parsed = SandboxBackendConfig.parse(config);
  switch (name) {
    case "docker": {
      const { openDockerBackend } = await import("./docker/docker-backend.ts");
      return openDockerBackend(parsed);
    }
    case "kubernetes": {
      const { openKubernetesBackend } = await import("./kubernetes/kubernetes-backend.ts");
      return openKubernetesBackend(parsed);
    }
    default:
      throw new SandboxError(`unknown sandbox back end "${name}": expected one of ${SANDBOX_BACKENDS.join(", ")}`, { backend: name });
  }
}
