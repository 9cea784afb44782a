import { ContainerGoneError, EngineUnavailableError, SandboxError } from "../errors.ts";

/** The HTTP status of a failed API call, when the server answered. */
export function apiStatus(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}

/** The `message` of the v1 Status body the API server sent with an error, if any. */
export function statusMessage(error: unknown): string | undefined {
  const body = (error as { body?: unknown } | null)?.body;
  if (typeof body !== "string") return (body as { message?: string } | undefined)?.message;
  try {
    return (JSON.parse(body) as { message?: string }).message;
  } catch {
    return body || undefined;
  }
}

/** Socket errors that mean the API server could not be reached. */
const UNREACHABLE = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EHOSTUNREACH", "ETIMEDOUT", "EPIPE", "EAI_AGAIN"]);

export function unreachable(error: unknown): boolean {
  const err = error as { code?: unknown; errno?: unknown; type?: unknown } | null;
  return UNREACHABLE.has(String(err?.code ?? err?.errno ?? "")) || err?.type === "request-timeout";
}

/** Maps a failed API call to the sandbox layer's typed errors, naming what was being done. */
export function kubeError(error: unknown, what: string, context: Record<string, unknown>): Error {
  if (error instanceof SandboxError) return error;
  const status = apiStatus(error);
  const message = statusMessage(error) ?? (error as Error)?.message ?? String(error);
  if (status === 404) return new ContainerGoneError(`${what}: the pod is gone (${message})`, context, { cause: error });
  if (status === undefined && unreachable(error)) {
    return new EngineUnavailableError(
      `${what}: the Kubernetes API server did not answer (${(error as { code?: string }).code ?? message})`,
      context,
      { cause: error },
    );
  }
  if (status !== undefined && (status === 429 || status >= 500)) {
    return new EngineUnavailableError(`${what}: the Kubernetes API server answered ${status} (${message})`, context, { cause: error });
  }
  return new SandboxError(`${what}: ${status ? `HTTP ${status}: ` : ""}${message}`, context, { cause: error });
}
