import { existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { loadBundle, type Bundle, type BundleCommand } from "./bundle-config.ts";

/** One entry of a SWE-agent config's `agent.tools.bundles`. */
export interface BundleReference {
  /** Relative to the SWE-agent checkout (e.g. `tools/edit_anthropic`), or absolute. */
  path: string;
  hidden_tools?: string[];
}

/** The bundles a config names, read from one checkout, with their tools in SWE-agent's order. */
export interface BundleSet {
  /** The SWE-agent checkout the relative bundle paths were resolved against. */
  root: string;
  bundles: Bundle[];
  /** Every visible tool of every bundle, bundle by bundle (bash, when enabled, comes before them). */
  commands: BundleCommand[];
  /** The bundles' state commands, in bundle order. */
  stateCommands: string[];
}

/** A bundle a config names is not in the checkout, or two bundles define the same tool. */
export class BundleSetError extends Error {
  constructor(
    readonly bundle: string,
    readonly path: string,
    detail: string,
  ) {
    super(`bundle ${bundle} (${path}): ${detail}`);
    this.name = "BundleSetError";
  }
}

/**
 * Reads the named bundles from a SWE-agent checkout, as SWE-agent's ToolConfig does: each
 * bundle's config.yaml checked, hidden tools left out, and a tool defined twice (or named
 * `bash` while the bash tool is on) refused.
 */
export function loadBundleSet(root: string, references: readonly BundleReference[], options: { enableBashTool?: boolean } = {}): BundleSet {
  const absoluteRoot = resolve(root);
  const bundles: Bundle[] = [];
  const sources = new Map<string, string>();
  if (options.enableBashTool ?? true) sources.set("bash", "<builtin>");
  const commands: BundleCommand[] = [];
  for (const reference of references) {
    const path = isAbsolute(reference.path) ? reference.path : join(absoluteRoot, reference.path);
    if (!existsSync(path)) throw new BundleSetError(reference.path, path, `the checkout ${absoluteRoot} has no such bundle folder`);
    if (!existsSync(join(path, "config.yaml")))
      throw new BundleSetError(reference.path, path, "the folder has no config.yaml, so it is not a tool bundle");
    const bundle = loadBundle(path, { hiddenTools: reference.hidden_tools });
    for (const command of bundle.commands) {
      const first = sources.get(command.name);
      if (first !== undefined) throw new BundleSetError(reference.path, path, `the tool ${command.name} is already defined by ${first}`);
      sources.set(command.name, path);
      commands.push(command);
    }
    bundles.push(bundle);
  }
  return {
    root: absoluteRoot,
    bundles,
    commands,
    stateCommands: bundles.flatMap((bundle) => (bundle.stateCommand ? [bundle.stateCommand] : [])),
  };
}
