import type Docker from "dockerode";
import { engineError } from "../errors.ts";
import { ImageUnavailableError } from "../errors.ts";
import type { PullProgress } from "../sandbox-backend.ts";

export async function imageExists(docker: Docker, name: string): Promise<boolean> {
  try {
    await docker.getImage(name).inspect();
    return true;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw engineError(error, `looking up image ${name}`, { image: name });
  }
}

/**
 * Pulls an image, reporting progress. A registry that cannot be reached, or an image that does
 * not exist there, is an ImageUnavailableError naming the image and the engine's reason.
 */
export async function pullImage(
  docker: Docker,
  name: string,
  options: { platform?: string; onProgress?: (progress: PullProgress) => void } = {},
): Promise<void> {
  const layers = new Map<string, { current: number; total: number }>();
  try {
    const stream = await docker.pull(name, options.platform ? { platform: options.platform } : {});
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(
        stream,
        (error: Error | null, output: Array<{ error?: string }>) => {
          const failed = error ?? output.find((event) => event.error);
          if (failed) reject(failed instanceof Error ? failed : new Error(failed.error));
          else resolve();
        },
        (event: { id?: string; status?: string; progressDetail?: { current?: number; total?: number } }) => {
          if (event.id && event.progressDetail?.total) {
            layers.set(event.id, { current: event.progressDetail.current ?? 0, total: event.progressDetail.total });
          }
          let current = 0;
          let total = 0;
          for (const layer of layers.values()) {
            current += layer.current;
            total += layer.total;
          }
          options.onProgress?.({ image: name, status: event.status ?? "", current, total });
        },
      );
    });
  } catch (error) {
    const reason = (error as { json?: { message?: string }; message?: string }).json?.message ?? (error as Error).message;
    throw new ImageUnavailableError(
      `image ${name} is not available locally and could not be pulled: ${reason}`,
      { image: name },
      { cause: error },
    );
  }
}

/** Removes an image; an image already gone or still used by a container is left alone. */
export async function removeImage(docker: Docker, name: string): Promise<boolean> {
  try {
    await docker.getImage(name).remove();
    return true;
  } catch (error) {
    const status = (error as { statusCode?: number }).statusCode;
    if (status === 404 || status === 409) return false;
    throw engineError(error, `removing image ${name}`, { image: name });
  }
}
