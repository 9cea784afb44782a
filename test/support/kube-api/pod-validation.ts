import type { Pod } from "./pod-registry.ts";

export interface FieldCause {
  field: string;
  message: string;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function validLabelKey(key: string): boolean {
  const slash = key.indexOf("/");
  const [prefix, name] = slash >= 0 ? [key.slice(0, slash), key.slice(slash + 1)] : [undefined, key];
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length <= 63 && LABEL_NAME.test(name);
}

/** The checks of the real API server's pod validation that a sandbox pod can run into. */
export function validatePod(pod: Pod): FieldCause[] {
  const causes: FieldCause[] = [];
  const name = pod.metadata?.name;
  if (!name) causes.push({ field: "metadata.name", message: "Required value: name or generateName is required" });
  else if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    causes.push({
      field: "metadata.name",
      message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`,
    });
  }
  for (const [key, value] of Object.entries(pod.metadata?.labels ?? {})) {
    if (!validLabelKey(key))
      causes.push({
        field: "metadata.labels",
        message: `Invalid value: "${key}": name part must consist of alphanumeric characters, '-', '_' or '.'`,
      });
    if (typeof value !== "string" || value.length > 63 || !LABEL_VALUE.test(value)) {
      causes.push({
        field: "metadata.labels",
        message: `Invalid value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (max 63)`,
      });
    }
  }
  const containers = pod.spec?.containers;
  if (!Array.isArray(containers) || containers.length === 0) causes.push({ field: "spec.containers", message: "Required value" });
  for (const [i, container] of (containers ?? []).entries()) {
    if (!container.name || !DNS_LABEL.test(container.name))
      causes.push({ field: `spec.containers[${i}].name`, message: `Invalid value: "${container.name ?? ""}"` });
    if (!container.image) causes.push({ field: `spec.containers[${i}].image`, message: "Required value" });
  }
  const policy = pod.spec?.restartPolicy;
  if (policy !== undefined && !["Always", "OnFailure", "Never"].includes(policy)) {
    causes.push({
      field: "spec.restartPolicy",
      message: `Unsupported value: "${policy}": supported values: "Always", "OnFailure", "Never"`,
    });
  }
  const deadline = pod.spec?.activeDeadlineSeconds;
  if (deadline !== undefined && (!Number.isInteger(deadline) || deadline <= 0)) {
    causes.push({ field: "spec.activeDeadlineSeconds", message: `Invalid value: ${deadline}: must be greater than 0` });
  }
  return causes;
}
