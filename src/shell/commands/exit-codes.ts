/**
 * The exit codes every batch command shares (eval, run, grade, status, export, images); `fix`
 * and `compare` add codes of their own above these.
 */
export const EXIT = {
  /** The run finished and every instance was graded (for `run`: every episode finished). */
  finished: 0,
  /** Some instances ended in errors (or, for other commands, the command failed). */
  errors: 1,
  /**
   * The command was called wrongly: an unknown flag, a malformed value, a bad template, a run id
   * resumed under settings that decide other results.
   */
  usage: 2,
  /** Stopped by Ctrl-C (SIGINT) or SIGTERM; the same command resumes a run. */
  interrupted: 130,
} as const;

/** The exit codes as --help prints them. */
export const EXIT_CODES_HELP = `exit codes:
  0    the run finished and every instance was graded (run: every episode finished)
  1    some instances ended in errors (or the command failed)
  2    usage: an unknown flag, a malformed value, a resume under other settings
  130  interrupted (Ctrl-C, SIGTERM, SIGHUP); the same command resumes the run`;

/** The exit codes of the commands that run no batch (grade, status, export, images), as --help prints them. */
export const COMMAND_EXIT_CODES_HELP = `exit codes: 0 done; 1 failed (the error is printed; images pull: some image did not pull); 2 usage`;
