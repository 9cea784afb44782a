import type { ErrorCategory, RunEvent } from "./run-events.ts";

export interface FinalError {
  phase: string;
  category: ErrorCategory;
  kind: string;
  message: string;
}

/**
 * What summary.md needs from a run's events, over every invocation of the run id: the error
 * each instance ended on (cleared when a later attempt starts or grades it), and how each
 * instance's latest agent episode ended. The live numbers are harness/run-stats.ts's.
 */
export function finalOutcomes(events: readonly RunEvent[]): { errors: Map<string, FinalError>; agentExits: Map<string, string> } {
  const errors = new Map<string, FinalError>();
  const agentExits = new Map<string, string>();
  for (const event of events) {
    switch (event.type) {
      case "phase_started":
      case "graded":
        errors.delete(event.instance_id);
        break;
      case "agent_finished":
        agentExits.set(event.instance_id, event.exit_status);
        break;
      case "error":
        if (!event.retrying) {
          errors.set(event.instance_id, { phase: event.phase, category: event.category, kind: event.kind, message: event.message });
        }
        break;
    }
  }
  return { errors, agentExits };
}
