import type { Sandbox, ShellSession } from "../../src/foundation/sandbox/sandbox.ts";
import type { Tool } from "../tools/tool.ts";
import { installBundles } from "./bundle-install.ts";
import { createBundleTools } from "./bundle-tools.ts";
import { bundleSetOf, type BundleObservations } from "./observation-mode.ts";
import type { ToolState } from "./tool-state.ts";

export interface BundleEpisode {
  tools: Tool[];
  /** The state before the first step: its `working_dir` fills the instance template. */
  initialState: ToolState;
}

/**
 * An episode's tools in bundles mode: the bundles installed in its sandbox and shell, and the
 * Bottega tools that run them. Throws BundleInstallError (naming the bundle and its folder) when
 * an install fails; run once before a run starts, that is the preflight check.
 */
export async function setUpBundleEpisode(options: {
  sandbox: Sandbox;
  shell: ShellSession;
  mode: BundleObservations;
  problemStatement: string;
  commandTimeoutMs: number;
}): Promise<BundleEpisode> {
  const { mode } = options;
  const set = bundleSetOf(mode);
  const initialState = await installBundles(options.sandbox, options.shell, set, {
    envVariables: mode.env_variables ?? undefined,
    registryVariables: mode.registry_variables,
    problemStatement: options.problemStatement,
    installTimeoutMs: mode.install_timeout_sec * 1000,
  });
  const tools = createBundleTools(set, {
    timeoutMs: options.commandTimeoutMs,
    enableBashTool: mode.enable_bash_tool,
    submitCommand: mode.submit_command,
  });
  return { tools, initialState };
}
