import { join } from "node:path";

/** Where a run's files live under results/<run_id>/ (DESIGN.md, "Results"). */
export class RunLayout {
  constructor(
    readonly resultsDir: string,
    readonly runId: string,
  ) {}

  get root(): string {
    return join(this.resultsDir, this.runId);
  }
  get runJson(): string {
    return join(this.root, "run.json");
  }
  get predictions(): string {
    return join(this.root, "predictions.jsonl");
  }
  get events(): string {
    return join(this.root, "events.jsonl");
  }
  get report(): string {
    return join(this.root, "report.json");
  }
  get summary(): string {
    return join(this.root, "summary.md");
  }
  get logsDir(): string {
    return join(this.root, "logs");
  }
  logDir(instanceId: string): string {
    return join(this.logsDir, instanceId);
  }
  get trajectoriesDir(): string {
    return join(this.root, "trajectories");
  }
  trajectory(instanceId: string): string {
    return join(this.trajectoriesDir, `${instanceId}.json`);
  }
}
