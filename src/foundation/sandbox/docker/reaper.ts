import type Docker from "dockerode";
import { engineError } from "../errors.ts";
import { LABELS, ownerIsAlive } from "../owner.ts";

/**
 * Removes bottega containers whose owning process is dead (a crash, a kill -9), and returns
 * what it removed. Containers of live runs, and of other hosts, are left alone.
 */
export async function reapDeadContainers(docker: Docker): Promise<Array<{ id: string; run?: string; instance?: string }>> {
  let containers: Docker.ContainerInfo[];
  try {
    containers = await docker.listContainers({ all: true, filters: { label: [LABELS.owner] } });
  } catch (error) {
    throw engineError(error, "listing containers", {});
  }
  const dead = containers.filter((info) => !ownerIsAlive(info.Labels[LABELS.owner] ?? ""));
  await Promise.all(
    dead.map((info) =>
      docker
        .getContainer(info.Id)
        .remove({ force: true, v: true })
        .catch((error: { statusCode?: number }) => {
          if (error.statusCode !== 404 && error.statusCode !== 409) throw engineError(error, `removing container ${info.Id}`, {});
        }),
    ),
  );
  return dead.map((info) => ({ id: info.Id, run: info.Labels[LABELS.run], instance: info.Labels[LABELS.instance] }));
}
