import { appendJsonl } from "../../src/foundation/store/jsonl.ts";
import type { Prediction } from "../dataset/predictions.ts";
import { specFor } from "../dataset/specs/index.ts";
import type { TaskRow } from "../dataset/task-row.ts";
import { runAgentEpisode } from "./agent-episode.ts";
import { inPhase, PhaseError } from "./phase-error.ts";
import type { RunContext } from "./prepare-run.ts";

/**
 * The agent phase: one episode, its prediction appended to predictions.jsonl (one whole line, so
 * a resumed run finds it). Undefined when the episode was interrupted. A sandbox that failed
 * under the agent is an infrastructure error (retried); anything else thrown is an agent crash.
 */
export function runAgentPhase(
  run: RunContext,
  row: TaskRow,
  image: string,
  worker: number,
  removeLater: ((removal: Promise<void>) => void) | undefined,
): Promise<Prediction | undefined> {
  const id = row.instance_id;
  return inPhase("agent", "agent", async () => {
    run.events.emit({ type: "phase_started", instance_id: id, phase: "agent", worker });
    // The episode stays on one endpoint while it is healthy, so its prefix cache keeps hitting.
    const lease = run.model!.lease(id);
    const several = run.model!.replicas.length > 1;
    const outcome = await runAgentEpisode({
      sandboxes: run.sandboxes,
      row,
      spec: specFor(row, run.dataset.specs),
      image,
      model: lease,
      prefetchFirstCall: run.config.overlapContainer,
      removeLater: run.config.overlapContainer ? removeLater : undefined,
      observationMode: run.config.observationMode,
      profile: run.config.profile,
      agent: run.config.agent,
      templates: run.templates,
      reviewOnSubmit: run.config.reviewOnSubmit,
      trajectoryPath: run.layout.trajectory(id),
      signal: run.signal,
      onStep: (step) =>
        run.events.emit({
          type: "agent_step",
          instance_id: id,
          step: step.step,
          prompt_tokens: step.usage?.prompt_tokens ?? 0,
          completion_tokens: step.usage?.completion_tokens ?? 0,
          cached_tokens: step.usage?.cached_prompt_tokens ?? 0,
          latency_ms: step.model_latency_ms,
          ...(several ? { endpoint: lease.endpoint } : {}),
        }),
    }).finally(() => lease.release());
    if (outcome.exitStatus === "exit_interrupted") return undefined;
    if (outcome.exitStatus === "exit_env") {
      throw new PhaseError("agent", "infrastructure", "exit_env", outcome.exitMessage ?? "the sandbox failed", true);
    }
    const patch = outcome.patch ?? "";
    run.events.emit({
      type: "agent_finished",
      instance_id: id,
      exit_status: outcome.exitStatus,
      steps: outcome.trajectory.steps.length,
      patch_bytes: patch.length,
    });
    const prediction: Prediction = {
      instance_id: id,
      model_name_or_path: run.modelName!,
      model_patch: patch,
      exit_status: outcome.exitStatus,
    };
    await appendJsonl(run.layout.predictions, prediction);
    run.predictions.set(id, prediction);
    return prediction;
  });
}
