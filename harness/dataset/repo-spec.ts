import { z } from "zod";

/**
 * What the harness needs to know about one (repo, version) pair: the per-repo spec of the
 * official harness (constants/python.py), reduced to the fields that matter at eval time plus
 * the build-time ones our fixture images use.
 */
export const RepoSpec = z.object({
  /** The test runner command; test directives are appended to it. */
  test_cmd: z.string(),
  /** Re-run inside eval.sh after activation (and at image build). */
  install: z.string().optional(),
  /** Lines run right after `cd /testbed` at the top of eval.sh. */
  eval_commands: z.array(z.string()).optional(),
  /** Build-time only: commands run before `install` when an instance image is built. */
  pre_install: z.array(z.string()).optional(),
  /** Build-time only: python version of the environment. */
  python: z.string().optional(),
  /** For repos outside the official map: the log parser by its official name. */
  log_parser: z.string().optional(),
});
export type RepoSpec = z.infer<typeof RepoSpec>;

/** repo ("owner/name") → version → spec; the shape of a dataset folder's `specs.json`. */
export const RepoSpecMap = z.record(z.string(), z.record(z.string(), RepoSpec));
export type RepoSpecMap = z.infer<typeof RepoSpecMap>;
