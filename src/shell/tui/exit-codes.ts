import type { ExitStatus } from "../../../scaffold/trajectory.ts";

/**
 * `bottega fix` exit codes, on the house convention (0 done / 1 error / 2 usage / 130
 * interrupted) plus two of its own, documented in the README and `bottega fix --help`.
 */
export const FIX_EXIT = {
  /** The agent submitted (and, with --apply, the patch is in the repository). */
  submitted: 0,
  /** The agent ended in an error (model API, sandbox, format, context, command timeouts) or the session could not start. */
  error: 1,
  usage: 2,
  /** The step or wall-time limit came before a submission; the patch so far is still reported. */
  limit: 3,
  /** --apply refused: files the patch touches changed on the host, or git apply failed. */
  applyRefused: 4,
  interrupted: 130,
} as const;

export function exitCodeFor(status: ExitStatus): number {
  switch (status) {
    case "submitted":
      return FIX_EXIT.submitted;
    case "exit_step_limit":
    case "exit_time":
      return FIX_EXIT.limit;
    case "exit_interrupted":
      return FIX_EXIT.interrupted;
    default:
      return FIX_EXIT.error;
  }
}
