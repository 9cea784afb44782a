import type { RecordedEpisode } from "../src/foundation/model/scripted/recorded-episodes.ts";
import type { Trajectory } from "./trajectory.ts";

/**
 * A finished run's trajectory as an episode the scripted server can play back: every step that
 * ran an action, with the thought said around it. Format errors and their replies are left out,
 * so the replay is the clean path the model took.
 */
export function recordedEpisodeOf(trajectory: Trajectory): RecordedEpisode {
  return {
    instance_id: trajectory.instance_id,
    description: `Replay of a recorded trajectory (${trajectory.steps.length} steps, ${trajectory.exit_status ?? "unfinished"}).`,
    actions: trajectory.steps.flatMap((step) =>
      step.action === null
        ? []
        : [{ thought: step.thought ?? step.response.content ?? "", call: { name: step.action.tool, arguments: step.action.args } }],
    ),
  };
}
