import { EXIT } from "./exit-codes.ts";

/** A mistake in how the command was called: printed without a stack, exit code 2 (EXIT.usage). */
export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CliUsageError";
  }
}

/**
 * Prints an error for a person at a terminal: the message (our typed errors already name the
 * file, field and what was expected), and the stack only with BOTTEGA_DEBUG=1.
 */
export function printError(error: unknown): number {
  const err = error instanceof Error ? error : new Error(String(error));
  if (process.env.BOTTEGA_DEBUG === "1") console.error(err.stack);
  else console.error(`bottega: ${err.message}`);
  return err instanceof CliUsageError ? EXIT.usage : EXIT.errors;
}
