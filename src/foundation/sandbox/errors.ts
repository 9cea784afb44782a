/** Errors of the sandbox layer. Each carries what it was doing and on which container or image. */
export class SandboxError extends Error {
  constructor(
    message: string,
    readonly context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The Docker engine did not answer (not running, socket missing, restarted under us). */
export class EngineUnavailableError extends SandboxError {}

/** The back end's settings are wrong (a bad pod template): the caller's mistake, a usage error. */
export class SandboxConfigError extends SandboxError {}

/** A file asked of readFile does not exist in the sandbox. */
export class SandboxFileNotFound extends SandboxError {}

/** An image could not be found locally nor pulled. */
export class ImageUnavailableError extends SandboxError {}

/** The container died or vanished while we were using it. */
export class ContainerGoneError extends SandboxError {}

/** Socket errors that mean the engine went away (socket missing, refused, dropped). */
const ENGINE_GONE_CODES = new Set(["ECONNREFUSED", "ENOENT", "ECONNRESET", "EPIPE"]);
const engineGone = (error: unknown) => ENGINE_GONE_CODES.has((error as { code?: string } | null)?.code ?? "");

/** True for errors that mean "the infrastructure failed", worth a bounded retry. */
export function isInfrastructureError(error: unknown): boolean {
  return error instanceof EngineUnavailableError || error instanceof ContainerGoneError || engineGone(error);
}

/** Maps dockerode failures to typed sandbox errors. */
export function engineError(error: unknown, what: string, context: Record<string, unknown>): Error {
  if (error instanceof SandboxError) return error;
  const err = error as { statusCode?: number; code?: string; message?: string };
  if (err.statusCode === 404 || err.statusCode === 409) {
    return new ContainerGoneError(`${what}: the container is gone (${err.message ?? err.statusCode})`, context, { cause: error });
  }
  if (engineGone(error)) {
    return new EngineUnavailableError(`${what}: the Docker engine did not answer (${err.code})`, context, { cause: error });
  }
  // A 5xx is the engine's own failure (its store, its network, a restart under way): retried, within the run's bound.
  if (err.statusCode !== undefined && err.statusCode >= 500) {
    return new EngineUnavailableError(`${what}: the Docker engine failed (${err.message ?? err.statusCode})`, context, { cause: error });
  }
  return new SandboxError(`${what}: ${err.message ?? String(error)}`, context, { cause: error });
}
