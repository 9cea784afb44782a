/** Where every SWE-bench instance image holds the repository under test. */
export const REPO_ROOT = "/testbed";

/** How the official images' environment is activated, as their eval scripts do it. */
export const CONDA_ACTIVATE = ["source /opt/miniconda3/bin/activate", "conda activate testbed"] as const;

/** The same activation for an interactive shell: silent, and a failure where an image has no conda. */
export const QUIET_CONDA_ACTIVATE = CONDA_ACTIVATE.map((line) => `${line} 2>/dev/null`).join(" && ");
