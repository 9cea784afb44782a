import { z } from "zod";

/**
 * One SWE-bench dataset row. FAIL_TO_PASS / PASS_TO_PASS arrive as JSON-encoded strings
 * (as in the parquet) or as lists (as the official harness also accepts); both become lists.
 */
const testList = z.preprocess((value, ctx) => {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    ctx.addIssue({ code: "custom", message: "expected a JSON-encoded list of test ids" });
    return z.NEVER;
  }
}, z.array(z.string()));

export const TaskRow = z.looseObject({
  instance_id: z.string().min(1),
  repo: z.string().regex(/^[^/\s]+\/[^/\s]+$/, "expected owner/name"),
  base_commit: z.string().regex(/^[0-9a-f]{40}$/, "expected a 40-hex commit sha"),
  patch: z.string(),
  test_patch: z.string(),
  problem_statement: z.string(),
  hints_text: z.string().default(""),
  created_at: z.string().optional(),
  version: z.string(),
  FAIL_TO_PASS: testList,
  PASS_TO_PASS: testList,
  environment_setup_commit: z.string().optional(),
  difficulty: z.string().optional(),
  // SWE-bench v5 columns, present in the newer Verified parquet.
  eval_script: z.string().optional(),
  log_parser: z.string().optional(),
  eval_type: z.string().optional(),
  image: z.string().optional(),
});
export type TaskRow = z.infer<typeof TaskRow>;
