import type { RunEvent } from "../../../harness/run/run-events.ts";

/** One plain line per event, for CI logs and nohup: readable, greppable, no colour. */
export function eventLine(event: RunEvent): string | undefined {
  const time = event.t.slice(11, 19);
  switch (event.type) {
    case "run_started":
      return `${time} run ${event.run_id}: ${event.total} instances, ${event.todo} to do`;
    case "phase_started":
      return `${time} ${event.phase.padEnd(5)} ${event.instance_id} started`;
    case "pull_progress":
      return undefined;
    case "agent_step":
      return undefined;
    case "agent_finished":
      return `${time} agent ${event.instance_id} ${event.exit_status} after ${event.steps} steps (patch ${event.patch_bytes} bytes)`;
    case "graded":
      return `${time} grade ${event.instance_id} ${event.resolved ? "RESOLVED" : "unresolved"}`;
    case "skipped":
      return `${time} skip  ${event.instance_id} (${event.reason})`;
    case "note":
      return `${time} note  ${event.instance_id}: ${event.message}`;
    case "error":
      return `${time} ${event.phase.padEnd(5)} ${event.instance_id} ERROR ${event.category}/${event.kind}${event.retrying ? " (will retry)" : ""}: ${event.message.split("\n")[0]}`;
    case "endpoint_down":
      return `${time} model endpoint ${event.endpoint} DOWN: ${event.reason}`;
    case "endpoint_up":
      return `${time} model endpoint ${event.endpoint} back in rotation`;
    case "endpoint_error":
      return undefined;
    case "episode_moved":
      return `${time} agent ${event.instance_id} moved from ${event.from} to ${event.to}`;
    case "run_finished":
      return `${time} run ${event.interrupted ? "interrupted" : "finished"}`;
  }
}
