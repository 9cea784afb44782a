import { readFileSync } from "node:fs";
import { z } from "zod";

/**
 * What reading any run.json needs, kept apart from run-json.ts's whole-file schema so that
 * `bottega status` does not load the config's schema (the agent, its tools, the SWE-agent config
 * reader): the error a bad file raises, the file read as JSON, and the two fields status needs.
 */

/** A run.json that is not what bottega writes (or wrote). */
export class RunJsonError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = "RunJsonError";
  }
}

/** The first problem zod found, naming its field. */
export const firstIssue = (error: z.ZodError) => {
  const issue = error.issues[0]!;
  return `field "${issue.path.join(".")}": ${issue.message}`;
};

/** run.json as JSON, unchecked. */
export function readRunJsonText(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new RunJsonError(path, `not a readable JSON file (${(error as Error).message})`);
  }
}

/**
 * Who runs the run and whether it grades. Both spellings of the file (snake_case, and the older
 * camelCase) have these two under the same names.
 */
export const RunJsonHead = z.object({
  owner: z.string().optional(),
  config: z.object({ grade: z.boolean().default(true) }),
});
export type RunJsonHead = z.infer<typeof RunJsonHead>;

export function readRunJsonHead(path: string): RunJsonHead {
  const head = RunJsonHead.safeParse(readRunJsonText(path));
  if (!head.success) throw new RunJsonError(path, firstIssue(head.error));
  return head.data;
}
