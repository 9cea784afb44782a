import { readdirSync, readFileSync } from "node:fs";
import { join, posix, relative } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The layers of README's layout, enforced: the foundation imports nothing above it, the agent
 * knows nothing of SWE-bench or the shell, the harness nothing of the shell, and only the Docker
 * back end (reached through open-backend.ts) knows Docker; likewise the Kubernetes back end.
 */
const ROOT = join(import.meta.dirname, "..");
const SCANNED = ["src", "scaffold", "harness", "test"];
const DOCKER_BACKEND = "src/foundation/sandbox/docker/";
const KUBERNETES_BACKEND = "src/foundation/sandbox/kubernetes/";
/** The one door to the back ends: it imports them by name, on demand. */
const OPEN_FUNCTION = "src/foundation/sandbox/open-backend.ts";

interface Import {
  file: string;
  line: number;
  specifier: string;
  /** Project-relative path for relative imports; the package name otherwise. */
  target: string;
}

const IMPORT_PATTERNS = [
  /\b(?:import|export)\s+(?:type\s+)?(?:[^"'`;]*?\s+from\s+)?["']([^"']+)["']/g,
  /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
];

/** Every import and re-export of a source text, static or dynamic, with its line. */
function importsOf(file: string, text: string): Import[] {
  const found: Import[] = [];
  for (const pattern of IMPORT_PATTERNS) {
    for (const match of text.matchAll(pattern)) {
      const specifier = match[1]!;
      const line = text.slice(0, match.index).split("\n").length;
      const target = specifier.startsWith(".") ? posix.normalize(posix.join(posix.dirname(file), specifier)) : packageName(specifier);
      found.push({ file, line, specifier, target });
    }
  }
  return found;
}

const packageName = (specifier: string) =>
  specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!;

const under = (path: string, folder: string) => path.startsWith(folder);

/** Why an import breaks the layering, or undefined when it is allowed. */
function violation({ file, target }: Import): string | undefined {
  if (under(file, "src/foundation/")) {
    for (const upper of ["scaffold/", "harness/", "src/shell/"]) {
      if (under(target, upper)) return `the foundation may not import ${upper}`;
    }
  }
  if (under(file, "scaffold/")) {
    for (const upper of ["harness/", "src/shell/"]) if (under(target, upper)) return `scaffold/ may not import ${upper}`;
  }
  if (under(file, "harness/") && under(target, "src/shell/")) return "harness/ may not import src/shell/";
  const dockerAllowed = under(file, DOCKER_BACKEND) || under(file, "test/");
  if (!dockerAllowed && target === "dockerode") return "only the Docker back end imports dockerode";
  if (!dockerAllowed && file !== OPEN_FUNCTION && under(target, DOCKER_BACKEND)) {
    return `only ${OPEN_FUNCTION} reaches the Docker back end (open the back end with openSandboxBackend)`;
  }
  const kubernetesAllowed = under(file, KUBERNETES_BACKEND) || under(file, "test/");
  if (!kubernetesAllowed && target === "@kubernetes/client-node") return "only the Kubernetes back end imports @kubernetes/client-node";
  if (!kubernetesAllowed && file !== OPEN_FUNCTION && under(target, KUBERNETES_BACKEND)) {
    return `only ${OPEN_FUNCTION} reaches the Kubernetes back end (open the back end with openSandboxBackend)`;
  }
  return undefined;
}

function sourceFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts"))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)).split("\\").join("/"))
    .filter((path) => !path.includes("node_modules/"));
}

describe("layers", () => {
  const imports = SCANNED.flatMap(sourceFiles).flatMap((file) => importsOf(file, readFileSync(join(ROOT, file), "utf8")));

  it("finds the imports it is meant to judge", () => {
    // A scanner that saw nothing would pass every rule: check it sees the one allowed door.
    expect(imports.some((i) => i.file === OPEN_FUNCTION && i.target === `${DOCKER_BACKEND}docker-backend.ts`)).toBe(true);
    expect(imports.some((i) => i.file.startsWith(DOCKER_BACKEND) && i.target === "dockerode")).toBe(true);
    expect(imports.some((i) => i.file === OPEN_FUNCTION && i.target === `${KUBERNETES_BACKEND}kubernetes-backend.ts`)).toBe(true);
    expect(imports.some((i) => i.file.startsWith(KUBERNETES_BACKEND) && i.target === "@kubernetes/client-node")).toBe(true);
    expect(imports.length).toBeGreaterThan(500);
  });

  it("no file imports across a layer boundary", () => {
    const broken = imports
      .map((i) => ({ i, why: violation(i) }))
      .filter((v) => v.why !== undefined)
      .map(({ i, why }) => `${i.file}:${i.line} imports "${i.specifier}": ${why}`);
    expect(broken, broken.join("\n")).toEqual([]);
  });

  it("judges sample imports as the rules say", () => {
    const judge = (file: string, text: string) => importsOf(file, text).map(violation);
    expect(judge("src/foundation/model/x.ts", 'import { a } from "../../../harness/run/run-config.ts";')).toEqual([
      "the foundation may not import harness/",
    ]);
    expect(judge("scaffold/agent.ts", 'const m = await import("../src/shell/main.ts");')).toEqual(["scaffold/ may not import src/shell/"]);
    expect(judge("harness/run/x.ts", 'export { b } from "../../src/shell/commands/y.ts";')).toEqual(["harness/ may not import src/shell/"]);
    expect(judge("harness/run/x.ts", 'import type Docker from "dockerode";')).toEqual(["only the Docker back end imports dockerode"]);
    expect(
      judge("src/shell/commands/x.ts", 'import { DockerSandbox } from "../../foundation/sandbox/docker/docker-sandbox.ts";')[0],
    ).toMatch(/only src\/foundation\/sandbox\/open-backend.ts reaches the Docker back end/);
    expect(
      judge("harness/run/x.ts", 'import { a } from "../../scaffold/agent.ts";\nimport { b } from "../../src/foundation/store/jsonl.ts";'),
    ).toEqual([undefined, undefined]);
    expect(judge("test/sandbox.test.ts", 'import Docker from "dockerode";')).toEqual([undefined]);
    expect(judge("harness/run/x.ts", 'import { KubeConfig } from "@kubernetes/client-node";')).toEqual([
      "only the Kubernetes back end imports @kubernetes/client-node",
    ]);
    expect(judge("src/shell/commands/x.ts", 'import { a } from "../../foundation/sandbox/kubernetes/pod-template.ts";')[0]).toMatch(
      /reaches the Kubernetes back end/,
    );
  });
});
