/** After a hang-up, reading or writing the terminal fails (EIO): that must not stop a clean-up. */
export function ignoreClosedTerminal(): void {
  for (const stream of [process.stdin, process.stdout, process.stderr]) stream.on("error", () => undefined);
}

const STOP_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/**
 * Turns the first SIGINT, SIGTERM or SIGHUP (the terminal closed, an ssh session dropped) into an
 * abort (stop new work, clean up, exit non-zero) and a second one into an immediate exit, for
 * someone who really means it.
 */
export function abortOnSignals(onFirst: () => void): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const handler = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      process.stderr.write(`\nsecond ${name}: exiting now\n`);
      process.exit(130);
    }
    if (name === "SIGHUP") ignoreClosedTerminal();
    onFirst();
    controller.abort(new Error(`received ${name}`));
  };
  for (const name of STOP_SIGNALS) process.on(name, handler);
  return {
    signal: controller.signal,
    dispose: () => {
      for (const name of STOP_SIGNALS) process.off(name, handler);
    },
  };
}

/** The command line that resumes this run: the same arguments with the run id pinned. */
export function resumeHint(command: string, argv: readonly string[], runId: string): string {
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--run-id") i++;
    else if (!argv[i]!.startsWith("--run-id=")) kept.push(argv[i]!);
  }
  const quote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`);
  return `bottega ${command} ${[...kept, "--run-id", runId].map(quote).join(" ")}`;
}
