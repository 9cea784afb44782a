import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import type Docker from "dockerode";
import { SandboxError } from "../errors.ts";
import { debianMirror } from "./debian-mirror.ts";
import { imageExists, pullImage } from "./images.ts";
import { packSingleFile } from "../tar-file.ts";

import { BASE_IMAGE } from "../sandbox-backend.ts";

export { BASE_IMAGE };

/** Packages the base image carries, whichever route builds it. */
const DEBIAN_PACKAGES = ["python3", "python3-pytest", "python3-venv", "python3-pip", "python3-setuptools", "git", "patch", "procps"];

export type BaseImageRoute = "registry" | "debootstrap";

/**
 * Makes sure the base image exists. When a registry answers, it is built `FROM python:3.11-slim`;
 * when none does (this project's CI), from Debian packages with debootstrap and an import.
 */
export async function ensureBaseImage(
  docker: Docker,
  options: { log?: (line: string) => void; mirror?: string } = {},
): Promise<{ built: boolean; route?: BaseImageRoute }> {
  const log = options.log ?? (() => {});
  if (await imageExists(docker, BASE_IMAGE)) return { built: false };
  try {
    await pullImage(docker, "python:3.11-slim");
  } catch {
    log(`no registry reachable: building ${BASE_IMAGE} from Debian packages with debootstrap (about a minute)`);
    await buildWithDebootstrap(docker, log, options.mirror);
    return { built: true, route: "debootstrap" };
  }
  log(`building ${BASE_IMAGE} FROM python:3.11-slim`);
  await buildFromSlim(docker);
  return { built: true, route: "registry" };
}

async function buildFromSlim(docker: Docker): Promise<void> {
  const dockerfile = [
    "FROM python:3.11-slim",
    "RUN apt-get update && apt-get install -y --no-install-recommends git patch procps && rm -rf /var/lib/apt/lists/*",
    "RUN pip install --no-cache-dir pytest==7.2.1 setuptools",
    "ENV PYTHONDONTWRITEBYTECODE=1 LANG=C.UTF-8",
    'CMD ["/bin/bash"]',
  ].join("\n");
  const context = packSingleFile("Dockerfile", Buffer.from(dockerfile), 0o644);
  const stream = await docker.buildImage(context as unknown as NodeJS.ReadableStream, { t: BASE_IMAGE });
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (error: Error | null, output: Array<{ error?: string }>) => {
      const failed = error ?? output.find((event) => event.error);
      if (failed) reject(new SandboxError(`building ${BASE_IMAGE} failed: ${failed instanceof Error ? failed.message : failed.error}`));
      else resolve();
    }),
  );
}

function run(command: string, args: string[], log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let tail = "";
    const keep = (data: Buffer) => {
      tail = (tail + data.toString()).slice(-4000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", (error) => reject(new SandboxError(`${command} could not start: ${error.message} (is it installed? see README)`)));
    child.on("close", (code) => {
      if (code === 0) resolve();
      else {
        log(tail);
        reject(new SandboxError(`${command} ${args.slice(0, 3).join(" ")} … exited with ${code}:\n${tail}`));
      }
    });
  });
}

async function buildWithDebootstrap(docker: Docker, log: (line: string) => void, mirrorFlag?: string): Promise<void> {
  const { mirror, from } = debianMirror(mirrorFlag);
  log(`debootstrap from ${mirror} (${from})`);
  const rootfs = await mkdtemp(join(tmpdir(), "bottega-rootfs-"));
  try {
    await run("debootstrap", ["--variant=minbase", `--include=${DEBIAN_PACKAGES.join(",")}`, "bookworm", rootfs, mirror], log);
    await run(
      "sh",
      [
        "-c",
        `rm -rf "${rootfs}"/var/cache/apt/archives/*.deb "${rootfs}"/var/lib/apt/lists/* "${rootfs}"/usr/share/doc/* "${rootfs}"/usr/share/man/* "${rootfs}"/usr/share/locale/*`,
      ],
      log,
    );
    const tar = spawn("tar", ["-C", rootfs, "-c", "."], { stdio: ["ignore", "pipe", "inherit"] });
    const [repo, tag] = BASE_IMAGE.split(":");
    const stream = await docker.importImage(
      tar.stdout as Readable as unknown as string,
      {
        repo,
        tag,
        changes: ["ENV PYTHONDONTWRITEBYTECODE=1", "ENV LANG=C.UTF-8", 'CMD ["/bin/bash"]'],
      } as object,
    );
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve())),
    );
  } finally {
    await rm(rootfs, { recursive: true, force: true });
  }
}
