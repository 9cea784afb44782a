import { z } from "zod";

/**
 * The two fields of run.json that `bottega status` needs: who runs it and whether it grades.
 * Read on their own, so that status does not load the whole config's schema (the agent, its
 * tools, the SWE-agent config reader): run.json as a whole is run-json.ts's. Both spellings of
 * the file (snake_case, and the older camelCase) have these two under the same names.
 */
export const RunJsonHead = z.object({
  owner: z.string().optional(),
  config: z.object({ grade: z.boolean().default(true) }),
});
export type RunJsonHead = z.infer<typeof RunJsonHead>;
