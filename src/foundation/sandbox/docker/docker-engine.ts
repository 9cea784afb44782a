import Docker from "dockerode";
import { EngineUnavailableError } from "../errors.ts";

/**
 * A dockerode client for the local engine (DOCKER_HOST or /var/run/docker.sock), checked to
 * answer before any work starts, so a missing engine is one clear error instead of many.
 */
export async function connectDocker(): Promise<Docker> {
  const docker = new Docker();
  try {
    await docker.ping();
  } catch (error) {
    const where = process.env.DOCKER_HOST ?? "/var/run/docker.sock";
    throw new EngineUnavailableError(
      `no Docker engine answers at ${where}: start dockerd (see README, "Setup") or set DOCKER_HOST`,
      { where },
      { cause: error },
    );
  }
  return docker;
}
