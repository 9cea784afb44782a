import { PY_DIGIT, PY_ML_END, PY_ML_START, pyUniversalNewlines } from "./parsers/python-text.ts";

/**
 * SWE-bench v5's post-hoc triage of runs with no gradeable output (`infra_failure.py`): the first
 * matching log signature names a reason. "environment" reasons cannot plausibly come from a
 * patch; "ambiguous" ones can. Advisory only: it never changes `resolved` or the counts.
 */
export type TriageTier = "environment" | "ambiguous";

export interface FailureTriage {
  reason: string;
  tier: TriageTier;
}

const SIGNATURES: ReadonlyArray<[reason: string, tier: TriageTier, source: string]> = [
  ["browser_launch_failed", "environment", "Failed to launch|Failed to connect to the bus"],
  ["display_unavailable", "environment", "cannot open display|Missing X server|unable to open X display"],
  ["out_of_memory", "environment", `Cannot allocate memory|OutOfMemoryError|${PY_ML_START}Killed${PY_ML_END}`],
  ["container_unavailable", "environment", "Error response from daemon|Cannot connect to the Docker daemon"],
  ["network_unreachable", "environment", "Could not resolve host|Temporary failure in name resolution"],
  ["missing_module", "ambiguous", "Cannot find module|MODULE_NOT_FOUND|ModuleNotFoundError"],
  ["no_tests_collected", "ambiguous", "no tests ran|collected 0 items"],
  ["tests_timed_out", "ambiguous", `Timeout error: ${PY_DIGIT}+ seconds exceeded`],
];

const COMPILED = SIGNATURES.map(([reason, tier, source]) => ({
  reason,
  tier,
  pattern: new RegExp(source, "u"),
}));

/** `classify_text`: the first signature found in the text, or undefined (also for empty text). */
export function triageFailureText(text: string): FailureTriage | undefined {
  if (!text) return undefined;
  for (const { reason, tier, pattern } of COMPILED) {
    if (pattern.test(text)) return { reason, tier };
  }
  return undefined;
}

/**
 * `classify_logs`: the logs that exist (decoded; `null` for a missing file), each read the way
 * Python's text mode reads it, joined with newlines and classified as one text.
 */
export function triageFailureLogs(...logs: Array<string | null>): FailureTriage | undefined {
  const present = logs.filter((log): log is string => log !== null);
  return triageFailureText(present.map(pyUniversalNewlines).join("\n"));
}
