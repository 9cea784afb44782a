import { ImageUnavailableError, isInfrastructureError } from "../../src/foundation/sandbox/errors.ts";
import type { ErrorCategory, InstancePhase } from "./run-events.ts";

/**
 * Why an instance's phase ended without its result, said as what is true: which phase, what kind
 * of failure (see ErrorCategory), and whether trying the instance again may help.
 */
export class PhaseError extends Error {
  constructor(
    readonly phase: InstancePhase,
    readonly category: ErrorCategory,
    readonly kind: string,
    message: string,
    /** Only failures of the machine are retried: a crash or a bad patch would fail the same way. */
    readonly retryable = false,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "PhaseError";
  }
}

/**
 * Runs one phase of an instance, so that whatever it throws leaves as a PhaseError naming that
 * phase: the machine failing is "infrastructure" (retryable), a missing image "image", and
 * anything else is the phase's own category (`crashCategory`: an agent crash, an evaluation crash).
 */
export async function inPhase<T>(phase: InstancePhase, crashCategory: ErrorCategory, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asPhaseError(phase, crashCategory, error);
  }
}

function asPhaseError(phase: InstancePhase, crashCategory: ErrorCategory, error: unknown): PhaseError {
  if (error instanceof PhaseError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof ImageUnavailableError) return new PhaseError(phase, "image", "image_unavailable", message, false, { cause: error });
  if (isInfrastructureError(error)) return new PhaseError(phase, "infrastructure", "engine", message, true, { cause: error });
  return new PhaseError(phase, crashCategory, "crash", message, false, { cause: error });
}
