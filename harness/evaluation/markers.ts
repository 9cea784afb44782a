/**
 * The marker strings of the official harness (constants/__init__.py), in one place: eval.sh
 * prints the test markers through xtrace, the grader looks for them, run_instance.log carries
 * the apply markers.
 */
export const START_TEST_OUTPUT = ">>>>> Start Test Output";
export const END_TEST_OUTPUT = ">>>>> End Test Output";
/** v5: eval.sh echoes the test command's exit status after the end marker. */
export const TEST_EXIT_CODE = ">>>>> Test Exit Code";
export const APPLY_PATCH_PASS = ">>>>> Applied Patch";
export const APPLY_PATCH_FAIL = ">>>>> Patch Apply Failed";

/** Markers that anywhere in a test log mean it is not gradeable. */
export const BAD_MARKERS = [APPLY_PATCH_FAIL, ">>>>> Reset Failed", ">>>>> Tests Errored", ">>>>> Tests Timed Out"] as const;
