/** The official harness's run report keys in its order (v4.1.0; schema_version 2), as the tests' oracle. */
export const OFFICIAL_RUN_REPORT_KEYS = [
  "total_instances",
  "submitted_instances",
  "completed_instances",
  "resolved_instances",
  "unresolved_instances",
  "empty_patch_instances",
  "error_instances",
  "completed_ids",
  "incomplete_ids",
  "empty_patch_ids",
  "submitted_ids",
  "resolved_ids",
  "unresolved_ids",
  "error_ids",
  "schema_version",
];

/** `bottega eval --predictions FILE` into `results`, no network, two workers: grading only. */
export const gradePredictionsArgs = (predictions: string, runId: string, results: string): string[] => [
  "eval",
  "--predictions",
  predictions,
  "--run-id",
  runId,
  "--results",
  results,
  "--network",
  "none",
  "--workers",
  "2",
];
