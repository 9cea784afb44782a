import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { z } from "zod";
import { loadBundleSet, type BundleSet } from "./bundle-set.ts";

/**
 * Which tools produce the observations of a run, recorded in run.json and in every trajectory so
 * that runs can be told apart: Bottega's built-in tools (the default), or a user's SWE-agent tool
 * bundles run in the container, from a given checkout at a given commit.
 */
export const BundleReference = z.object({ path: z.string(), hidden_tools: z.array(z.string()).default([]) });

export const BundleObservations = z.object({
  kind: z.literal("bundles"),
  /** The SWE-agent checkout (absolute path) the bundles come from. */
  checkout: z.string(),
  /** `git rev-parse HEAD` of the checkout; null when it is not a git repository. */
  commit: z.string().nullable(),
  /** The checkout had uncommitted changes when the run started (null: not a git repository). */
  dirty: z.boolean().nullable(),
  bundles: z.array(BundleReference),
  /** `agent.tools.env_variables`; null: SWE-agent's default set. */
  env_variables: z.record(z.string(), z.unknown()).nullable().default(null),
  registry_variables: z.record(z.string(), z.unknown()).default({}),
  enable_bash_tool: z.boolean().default(true),
  submit_command: z.string().default("submit"),
  install_timeout_sec: z.number().positive().default(300),
});
export type BundleObservations = z.infer<typeof BundleObservations>;

export const ObservationMode = z.discriminatedUnion("kind", [z.object({ kind: z.literal("builtin") }), BundleObservations]);
export type ObservationMode = z.infer<typeof ObservationMode>;
export type ObservationModeInput = z.input<typeof ObservationMode>;

export const BUILTIN_OBSERVATIONS: ObservationMode = { kind: "builtin" };

/** The commit and cleanliness of a checkout, or nulls when it is not a git repository. */
export function checkoutRevision(root: string): { commit: string | null; dirty: boolean | null } {
  try {
    const commit = execFileSync("git", ["-C", root, "rev-parse", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const status = execFileSync("git", ["-C", root, "status", "--porcelain", "--", "."], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    return { commit, dirty: status.trim() !== "" };
  } catch {
    return { commit: null, dirty: null };
  }
}

export interface BundleModeSettings {
  checkout: string;
  bundles: Array<z.input<typeof BundleReference>>;
  envVariables?: Record<string, unknown> | null;
  registryVariables?: Record<string, unknown>;
  enableBashTool?: boolean;
  submitCommand?: string;
  installTimeoutSec?: number;
}

/**
 * The bundles mode for a checkout: every named bundle read and checked now (a missing bundle or a
 * bad config.yaml is an error before anything runs), the checkout's commit recorded.
 */
export function bundleObservations(settings: BundleModeSettings): { mode: BundleObservations; set: BundleSet } {
  const checkout = resolve(settings.checkout);
  const bundles = settings.bundles.map((bundle) => BundleReference.parse(bundle));
  const set = loadBundleSet(checkout, bundles, { enableBashTool: settings.enableBashTool ?? true });
  const mode = BundleObservations.parse({
    kind: "bundles",
    checkout,
    ...checkoutRevision(checkout),
    bundles,
    env_variables: settings.envVariables ?? null,
    registry_variables: settings.registryVariables ?? {},
    enable_bash_tool: settings.enableBashTool ?? true,
    submit_command: settings.submitCommand ?? "submit",
    install_timeout_sec: settings.installTimeoutSec ?? 300,
  });
  return { mode, set };
}

/** The bundle set of a recorded mode (re-read from the checkout, e.g. in each episode). */
export function bundleSetOf(mode: BundleObservations): BundleSet {
  return loadBundleSet(mode.checkout, mode.bundles, { enableBashTool: mode.enable_bash_tool });
}
