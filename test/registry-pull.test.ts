import { afterAll, describe, expect, it } from "vitest";
import { ImageUnavailableError } from "../src/foundation/sandbox/errors.ts";
import { connectDocker } from "../src/foundation/sandbox/docker/docker-engine.ts";
import { imageExists, pullImage, removeImage } from "../src/foundation/sandbox/docker/images.ts";
import type { PullProgress } from "../src/foundation/sandbox/sandbox-backend.ts";
import { dyingRegistry, fixtureCopy, manifestDigest, REGISTRY, registryMissing, TEST_REPO } from "./support/loopback-registry.ts";

/** Pulls from a real registry (Debian's docker-registry on 127.0.0.1, started by .ci/start-registry). */
const missing = await registryMissing();
if (missing) console.warn(`SKIPPED test/registry-pull.test.ts: ${missing}`);

const docker = await connectDocker();
const pulled = new Set<string>();
afterAll(async () => {
  for (const image of pulled) await removeImage(docker, image);
});

/** Starts from an image that is not on this machine: only our own test copies are removed. */
async function absent(image: string) {
  expect(image).toContain(`/${TEST_REPO}/`);
  await removeImage(docker, image);
  expect(await imageExists(docker, image)).toBe(false);
  pulled.add(image);
}

describe.skipIf(missing !== null)("pulling from a loopback registry", () => {
  it("reports progress up to the image's full size and records the registry's digest", async () => {
    const image = fixtureCopy("bottega-fixtures_1776_calc-1");
    await absent(image);
    const progress: PullProgress[] = [];
    await pullImage(docker, image, { onProgress: (p) => progress.push(p) });
    expect(await imageExists(docker, image)).toBe(true);
    const sized = progress.filter((p) => p.total > 0);
    expect(sized.length).toBeGreaterThan(2);
    // The layer of random bytes the copy adds (8 MiB by default) is really transferred.
    const last = sized.at(-1)!;
    expect(last.total).toBeGreaterThan(1_000_000);
    expect(sized.some((p) => p.current > 0 && p.current < p.total)).toBe(true);
    expect(progress.map((p) => p.status)).toContain("Download complete");
    const digest = await manifestDigest(`${TEST_REPO}/sweb.eval.x86_64.bottega-fixtures_1776_calc-1`, "latest");
    const inspected = await docker.getImage(image).inspect();
    expect(inspected.RepoDigests).toContain(`${REGISTRY}/${TEST_REPO}/sweb.eval.x86_64.bottega-fixtures_1776_calc-1@${digest}`);
  });

  it("an image the registry does not have is an ImageUnavailableError naming it", async () => {
    const image = `${REGISTRY}/${TEST_REPO}/no-such-image:latest`;
    const error = await pullImage(docker, image).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageUnavailableError);
    expect((error as Error).message).toContain(image);
    expect((error as Error).message).toMatch(/not found|unknown|does not exist/i);
  });

  it("a registry that stops mid-pull fails the pull with an error naming the image, and leaves no image behind", {
    timeout: 180_000,
  }, async () => {
    const relay = await dyingRegistry(2_000_000);
    try {
      const image = fixtureCopy("bottega-fixtures_1776_textfmt-2", relay.address);
      await absent(image);
      const progress: PullProgress[] = [];
      const error = await pullImage(docker, image, { onProgress: (p) => progress.push(p) }).catch((e: unknown) => e);
      await relay.stopped;
      expect(error).toBeInstanceOf(ImageUnavailableError);
      expect((error as Error).message).toContain(image);
      expect(progress.some((p) => p.current > 0)).toBe(true); // it was mid-way
      expect(await imageExists(docker, image)).toBe(false);
      // Back up, the same pull completes.
      await relay.revive();
      await pullImage(docker, image);
      expect(await imageExists(docker, image)).toBe(true);
    } finally {
      await relay.close();
    }
  });
});
