import type { TaskRow } from "../dataset/task-row.ts";

/**
 * The instance id as Docker Hub spells it in the official image names: lower-cased, with every
 * `__` replaced by `_1776_` (Docker Hub forbids double underscores).
 */
export function dockerInstanceId(instanceId: string): string {
  return instanceId.toLowerCase().replaceAll("__", "_1776_");
}

/** The official `swebench/sweb.eval.x86_64.<id>:latest` name of an instance image. */
export function officialImageName(instanceId: string, namespace = "swebench", tag = "latest"): string {
  return `${namespace}/sweb.eval.x86_64.${instanceId}:${tag}`.replaceAll("__", "_1776_").toLowerCase();
}

/** The placeholders an image-name template may use. */
export const IMAGE_TEMPLATE_PLACEHOLDERS = ["{instance_id}", "{instance_id_lower}", "{docker_id}", "{repo}", "{version}"] as const;

/** Why a template would name no real image (an unknown placeholder), or undefined when it is fine. */
export function imageTemplateProblem(template: string): string | undefined {
  const unknown = (template.match(/\{[^{}]*\}/g) ?? []).filter((p) => !(IMAGE_TEMPLATE_PLACEHOLDERS as readonly string[]).includes(p));
  if (unknown.length === 0) return undefined;
  return `unknown placeholder ${unknown.join(", ")} in "${template}"; the placeholders are ${IMAGE_TEMPLATE_PLACEHOLDERS.join(", ")}`;
}

/**
 * Fills an image-name template: `{instance_id}`, `{instance_id_lower}`, `{docker_id}` (the
 * `_1776_` form), `{repo}` (owner/name), `{version}`.
 */
export function applyImageTemplate(template: string, row: Pick<TaskRow, "instance_id" | "repo" | "version">): string {
  return template
    .replaceAll("{instance_id}", row.instance_id)
    .replaceAll("{instance_id_lower}", row.instance_id.toLowerCase())
    .replaceAll("{docker_id}", dockerInstanceId(row.instance_id))
    .replaceAll("{repo}", row.repo)
    .replaceAll("{version}", row.version);
}

/**
 * Which image an instance runs in: an explicit template wins, then the dataset's `image`
 * column (SWE-bench v5 datasets carry one), then the official name.
 */
export function imageFor(row: TaskRow, template?: string): string {
  if (template) return applyImageTemplate(template, row);
  return row.image ?? officialImageName(row.instance_id);
}

/** The template the bundled fixture images are built under. */
export const FIXTURE_IMAGE_TEMPLATE = "bottega/sweb.eval.x86_64.{docker_id}:latest";
