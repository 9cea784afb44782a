import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { SandboxError } from "../../src/foundation/sandbox/errors.ts";
import { BASE_IMAGE, type ImageWorkshop, type SandboxBackend } from "../../src/foundation/sandbox/sandbox-backend.ts";
import { baseCommitCommand } from "./fixture-repo.ts";
import type { RepoSpec } from "../dataset/repo-spec.ts";
import type { TaskRow } from "../dataset/task-row.ts";

/** Bumped when the recipe below changes, so old images are rebuilt. */
const RECIPE_VERSION = "1";
const DIGEST_LABEL = "bottega.recipe-digest";

/**
 * A stand-in for Miniconda's activate script, so the official eval-script prelude
 * (`source /opt/miniconda3/bin/activate` then `conda activate testbed`) runs unchanged: the
 * `testbed` environment is a venv at the path conda would use.
 */
const CONDA_SHIM = `# bottega: minimal stand-in for Miniconda's activate script.
conda() {
  case "$1" in
    activate)
      if [ "\${2:-base}" = base ]; then return 0; fi
      . "/opt/miniconda3/envs/$2/bin/activate" ;;
    deactivate) deactivate 2>/dev/null || true ;;
    *) echo "conda (bottega shim): only 'activate' and 'deactivate' are supported" >&2; return 1 ;;
  esac
}
`;

function setupScript(row: TaskRow, spec: RepoSpec): string {
  return [
    "set -euxo pipefail",
    "mkdir -p /opt/miniconda3/bin /opt/miniconda3/etc/profile.d /opt/miniconda3/envs",
    "python3 -m venv --system-site-packages /opt/miniconda3/envs/testbed",
    // The base image's pytest script runs the system python, which cannot see what is installed
    // in the environment: give the environment its own entry point.
    `printf '%s\\n' '#!/opt/miniconda3/envs/testbed/bin/python' 'import sys, pytest' 'sys.exit(pytest.console_main())' > /opt/miniconda3/envs/testbed/bin/pytest`,
    "chmod +x /opt/miniconda3/envs/testbed/bin/pytest",
    `cat > /opt/miniconda3/bin/activate <<'EOF_SHIM'\n${CONDA_SHIM}EOF_SHIM`,
    "cp /opt/miniconda3/bin/activate /opt/miniconda3/etc/profile.d/conda.sh",
    // As the official env image does, so non-login shells (BASH_ENV) get the environment.
    "echo 'source /opt/miniconda3/etc/profile.d/conda.sh && conda activate testbed' >> /root/.bashrc",
    "cd /testbed",
    baseCommitCommand(row.instance_id),
    `test "$(git rev-parse HEAD)" = "${row.base_commit}" || { echo "base commit mismatch: got $(git rev-parse HEAD), row says ${row.base_commit}" >&2; exit 1; }`,
    "set +u",
    "source /opt/miniconda3/bin/activate",
    "conda activate testbed",
    "set -u",
    ...(spec.pre_install ?? []),
    ...(spec.install ? [spec.install] : []),
    // The official images end with a "SWE-bench" commit on top of base_commit.
    "git config --global user.email setup@swebench.config",
    "git config --global user.name SWE-bench",
    "git commit --allow-empty -am SWE-bench",
  ].join("\n");
}

async function treeDigest(dir: string, hash = createHash("sha256"), rel = ""): Promise<ReturnType<typeof createHash>> {
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = join(dir, entry.name);
    hash.update(`${rel}/${entry.name}\0`);
    if (entry.isDirectory()) await treeDigest(full, hash, `${rel}/${entry.name}`);
    else hash.update(await readFile(full));
  }
  return hash;
}

export class ImageBuildError extends SandboxError {}

/**
 * Builds an instance image in the layout of an official `sweb.eval.*` image from a repository
 * folder holding the tree at base_commit: repo committed in /testbed (reproducing base_commit),
 * a `testbed` environment behind a conda shim, the package installed, a "SWE-bench" commit on
 * top, WORKDIR /testbed. Skips the build when an image of the same recipe digest exists.
 */
export async function buildLocalInstanceImage(
  sandboxes: SandboxBackend,
  options: { row: TaskRow; spec: RepoSpec; repoDir: string; image: string; log?: (line: string) => void; mirror?: string },
): Promise<{ built: boolean }> {
  const { row, spec, repoDir, image } = options;
  const workshop = workshopOf(sandboxes);
  const digest = (await treeDigest(repoDir)).update(JSON.stringify([RECIPE_VERSION, row.instance_id, row.base_commit, spec])).digest("hex");
  if ((await workshop.imageLabels(image))?.[DIGEST_LABEL] === digest) return { built: false };
  await workshop.ensureBaseImage({ log: options.log, mirror: options.mirror });
  const box = await sandboxes.create({ image: BASE_IMAGE, role: "build", instanceId: row.instance_id });
  try {
    await workshop.copyDirectory(box, repoDir, "/testbed");
    const result = await box.exec(setupScript(row, spec), { timeoutMs: 600_000 });
    if (result.exitCode !== 0) {
      throw new ImageBuildError(
        `building ${image} for ${row.instance_id} failed (exit ${result.exitCode}):\n${result.output.slice(-4000)}`,
        {
          instance: row.instance_id,
          image,
        },
      );
    }
    await workshop.commit(box, image, { workdir: "/testbed", labels: { [DIGEST_LABEL]: digest }, cmd: ["/bin/bash"] });
  } finally {
    await box.remove();
  }
  return { built: true };
}

/** The back end's image building; local images need a back end with its own image store. */
export function workshopOf(sandboxes: SandboxBackend): ImageWorkshop {
  if (!sandboxes.workshop) {
    throw new ImageBuildError(
      `the ${sandboxes.name} sandbox back end cannot build images: build them with the docker back end and push them`,
    );
  }
  return sandboxes.workshop;
}
