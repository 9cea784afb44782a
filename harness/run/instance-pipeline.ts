import pLimit from "p-limit";
import type { TaskRow } from "../dataset/task-row.ts";
import { imageFor } from "../images/image-name.ts";
import { runAgentPhase } from "./agent-phase.ts";
import { runGradePhase } from "./grade-phase.ts";
import { ImagePhase } from "./image-phase.ts";
import { PhaseError } from "./phase-error.ts";
import { needsAgent, needsGrading, type RunContext } from "./prepare-run.ts";
import { preflightBundles } from "./agent-episode.ts";

/** Worker slots, so the dashboard can show what each agent and grading worker is doing. */
class Slots {
  private readonly busy = new Set<number>();

  async use<T>(work: (slot: number) => Promise<T>): Promise<T> {
    let slot = 0;
    while (this.busy.has(slot)) slot++;
    this.busy.add(slot);
    try {
      return await work(slot);
    } finally {
      this.busy.delete(slot);
    }
  }
}

/**
 * Every instance with work left through its phases — image, agent (when a model is given),
 * grade — pipelined, each phase in its own bounded pool, so a slow grading never holds an idle
 * model server. A phase's error is recorded with that phase and its category; failures of the
 * machine retry the instance (what it finished stays finished), anything else ends it.
 */
export async function runInstances(run: RunContext): Promise<{ maxBytes: number | null; peakBytes: number }> {
  const { config, signal } = run;
  const images = await ImagePhase.start(run);
  const pools = { pull: pLimit(config.pullWorkers), agent: pLimit(config.workers), grade: pLimit(config.gradeWorkers) };
  const slots = { agent: new Slots(), grade: new Slots() };
  // Bounds the instances holding a pulled image at once, so pulls cannot run ahead and fill the disk.
  const inFlight = pLimit((run.model ? config.workers : 0) + config.gradeWorkers + config.pullWorkers);
  const stopped = () => signal?.aborted ?? false;
  /** Agent containers being removed off the critical path; the run waits for them at the end. */
  const removals = new Map<string, Promise<void>>();
  const removeLater = (id: string) => (removal: Promise<void>) => {
    const tracked: Promise<void> = removal.catch(() => undefined).finally(() => removals.get(id) === tracked && removals.delete(id));
    removals.set(id, tracked);
  };

  const phases = async (row: TaskRow, image: string, counted: () => Promise<void>): Promise<void> => {
    await pools.pull(() => images.ensure(row, image));
    await counted();
    let prediction = run.predictions.get(row.instance_id);
    if (!prediction && run.model) {
      prediction = await pools.agent(() =>
        stopped() ? undefined : slots.agent.use((slot) => runAgentPhase(run, row, image, slot, removeLater(row.instance_id))),
      );
      if (!prediction) return;
    }
    if (prediction && needsGrading(run, row)) {
      await pools.grade(() => (stopped() ? undefined : slots.grade.use((slot) => runGradePhase(run, row, prediction, image, slot))));
    }
  };

  const instance = async (row: TaskRow): Promise<void> => {
    // Templates are checked before the run starts; a row's own bad image name is its error.
    const image = imageFor(row, config.imageTemplate);
    let done = false;
    const counted = async () => {
      if (done) return;
      done = true;
      await images.counted(row);
    };
    try {
      for (let attempt = 0; !stopped(); attempt++) {
        try {
          return await phases(row, image, counted);
        } catch (error) {
          if (stopped()) return;
          if (!(error instanceof PhaseError)) throw error;
          const retrying = error.retryable && attempt < config.infraRetries;
          run.events.emit({
            type: "error",
            instance_id: row.instance_id,
            phase: error.phase,
            category: error.category,
            kind: error.kind,
            message: error.message,
            retrying,
          });
          if (!retrying) return;
          await new Promise((resolve) => setTimeout(resolve, 2000 * (attempt + 1)));
        }
      }
    } finally {
      await removals.get(row.instance_id); // an image in use by a container cannot be removed
      await counted();
      await images.release(row, image);
    }
  };

  // Bundles mode: the user's bundles installed once before any episode, so a broken one stops the run at once.
  const firstAgentRow = run.todo.find((row) => needsAgent(run, row));
  if (config.observationMode.kind === "bundles" && firstAgentRow) {
    const image = imageFor(firstAgentRow, config.imageTemplate);
    await images.ensure(firstAgentRow, image);
    await preflightBundles({ sandboxes: run.sandboxes, row: firstAgentRow, image, mode: config.observationMode });
  }

  const onAbort = () => void run.sandboxes.removeAll();
  signal?.addEventListener("abort", onAbort);
  try {
    await Promise.all(run.todo.map((row) => inFlight(() => (stopped() ? undefined : instance(row)))));
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await Promise.all([...removals.values()]);
    await run.sandboxes.removeAll();
    await images.finish();
  }
  return { maxBytes: config.maxImageDiskBytes ?? null, peakBytes: images.disk.peak };
}
