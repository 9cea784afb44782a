import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { Sandbox, ShellSession } from "../../src/foundation/sandbox/sandbox.ts";
import { shellQuote } from "../tools/shell-quote.ts";
import type { BundleSet } from "./bundle-set.ts";
import { pythonJsonDumps, pythonStr } from "./python-value.ts";
import { readState, type ToolState } from "./tool-state.ts";

/**
 * Installs a user's SWE-agent tool bundles into an episode's sandbox the way SWE-agent does
 * (SWEEnv.start, ToolHandler.install and reset, DefaultAgent.setup), in the episode's persistent
 * shell so every export stays for the actions that follow:
 * 1. the environment's own settings (LANG, LC_ALL, PIP_PROGRESS_BAR, PAGER) and ROOT, the
 *    repository root (the shell starts there);
 * 2. the config's `env_variables`;
 * 3. each bundle uploaded to /root/tools/<name>; its bin/ put first on PATH and made executable;
 *    its install.sh sourced from the bundle's folder; then back to the working directory;
 * 4. every tool checked with `which`;
 * 5. `env_variables` again, the registry file /root/.swe-agent-env (JSON of
 *    `registry_variables`), an empty /root/state.json;
 * 6. PROBLEM_STATEMENT exported; the state commands run once for the first state.
 */

/** SWE-agent's start-up settings, exported whatever the config says. */
export const ENVIRONMENT_VARIABLES = { LANG: "C.UTF-8", LC_ALL: "C.UTF-8", PIP_PROGRESS_BAR: "off", PAGER: "cat" } as const;

/** `agent.tools.env_variables` when a config does not set it (SWE-agent main; a config's value replaces it whole). */
export const DEFAULT_ENV_VARIABLES = {
  PAGER: "cat",
  MANPAGER: "cat",
  LESS: "-R",
  PIP_PROGRESS_BAR: "off",
  TQDM_DISABLE: "1",
  GIT_PAGER: "cat",
} as const;

export const TOOLS_ROOT = "/root/tools";
export const REGISTRY_FILE = "/root/.swe-agent-env";

export interface InstallOptions {
  envVariables?: Record<string, unknown>;
  registryVariables?: Record<string, unknown>;
  problemStatement: string;
  /** Each install step's limit (SWE-agent's `install_timeout`, 300 s). */
  installTimeoutMs?: number;
}

/** A bundle could not be installed: names the bundle, its folder and what the shell said. */
export class BundleInstallError extends Error {
  constructor(
    readonly bundle: string,
    readonly path: string,
    readonly step: string,
    readonly output: string,
  ) {
    super(`bundle ${bundle} (${path}): ${step} failed${output.trim() ? `:\n${output.trimEnd()}` : ""}`);
    this.name = "BundleInstallError";
  }
}

/** `export K=V && …` as SWE-agent's `set_env_variables` writes it (values through Python `str`, then quoted). */
export function exportLine(variables: Record<string, unknown>): string {
  return Object.entries(variables)
    .map(([key, value]) => `export ${key}=${shellQuote(pythonStr(value))}`)
    .join(" && ");
}

/** Every file of a folder, relative to it, with its permission bits. */
function folderFiles(root: string): Array<{ path: string; mode: number }> {
  const files: Array<{ path: string; mode: number }> = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) files.push({ path: relative(root, full), mode: statSync(full).mode & 0o777 });
    }
  };
  walk(root);
  return files;
}

/** Installs the bundles; returns the first state. Throws BundleInstallError naming the bundle at fault. */
export async function installBundles(sandbox: Sandbox, shell: ShellSession, set: BundleSet, options: InstallOptions): Promise<ToolState> {
  const timeoutMs = options.installTimeoutMs ?? 300_000;
  const envVariables = options.envVariables ?? DEFAULT_ENV_VARIABLES;
  const step = async (bundle: { name: string; path: string }, what: string, command: string): Promise<string> => {
    const result = await shell.run(command, { timeoutMs });
    if (result.timedOut)
      throw new BundleInstallError(bundle.name, bundle.path, `${what} (timed out after ${timeoutMs / 1000} s)`, result.output);
    if (result.restarted) throw new BundleInstallError(bundle.name, bundle.path, `${what} (the shell exited)`, result.output);
    if (result.exitCode !== 0)
      throw new BundleInstallError(bundle.name, bundle.path, `${what} (exit code ${result.exitCode})`, result.output);
    return result.output;
  };
  const all = { name: set.bundles.map((b) => b.name).join(", ") || "(none)", path: set.root };

  await step(all, "setting the environment variables", exportLine(ENVIRONMENT_VARIABLES));
  // SWE-agent exports the repository root as ROOT when it sets the repository up; tools such as submit cd there.
  await step(all, "exporting ROOT", "export ROOT=$(pwd -P)");
  if (Object.keys(envVariables).length > 0) await step(all, "exporting env_variables", exportLine(envVariables));
  const cwd = (await step(all, "reading the working directory", "pwd")).trim();
  for (const bundle of set.bundles) {
    const target = `${TOOLS_ROOT}/${bundle.name}`;
    for (const file of folderFiles(bundle.path)) {
      await sandbox.writeFile(`${target}/${file.path}`, readFileSync(join(bundle.path, file.path)), file.mode);
    }
  }
  for (const bundle of set.bundles) {
    const target = `${TOOLS_ROOT}/${bundle.name}`;
    const commands = [`export PATH=${target}/bin:$PATH`, `chmod +x ${target}/bin/*`];
    if (bundle.hasInstallScript) commands.push(`cd ${target} && source install.sh`);
    commands.push(`chmod +x ${target}/bin/*`);
    await step(bundle, bundle.hasInstallScript ? "install.sh" : "installing", commands.join(" && "));
  }
  await step(all, "returning to the working directory", `cd ${cwd}`);
  for (const bundle of set.bundles) {
    for (const command of bundle.commands) {
      const found = await shell.run(`which ${command.name}`, { timeoutMs: 30_000 });
      if (found.exitCode !== 0)
        throw new BundleInstallError(
          bundle.name,
          bundle.path,
          `finding the tool ${command.name}`,
          `Tool ${command.name} is not available in the container.`,
        );
    }
  }
  if (Object.keys(envVariables).length > 0) await step(all, "exporting env_variables", exportLine(envVariables));
  await sandbox.writeFile(REGISTRY_FILE, pythonJsonDumps(options.registryVariables ?? {}));
  await sandbox.writeFile("/root/state.json", "{}");
  await step(all, "exporting PROBLEM_STATEMENT", exportLine({ PROBLEM_STATEMENT: options.problemStatement }));
  return readState(sandbox, (command, opts) => shell.run(command, opts), set.stateCommands);
}
