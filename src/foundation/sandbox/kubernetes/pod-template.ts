import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { z } from "zod";
import { SandboxConfigError } from "../errors.ts";

const StringMap = z.record(z.string(), z.string());
const Quantity = z.union([z.string(), z.number()]).transform(String);
const Resources = z.strictObject({
  requests: z.record(z.string(), Quantity).optional(),
  limits: z.record(z.string(), Quantity).optional(),
});
/** Kubernetes objects we pass through as written (the API server validates them). */
const Passthrough = z.record(z.string(), z.unknown());

/**
 * What a pod template may set on every sandbox pod: where pods run (node selectors,
 * tolerations, affinity, priority, runtime class), as whom (service account, security context)
 * and with what (image pull secrets, resources). Written as a Pod manifest; the sandbox's own
 * fields (name, image, command, labels it needs, restart policy) are not the template's to set.
 */
export const PodTemplate = z.strictObject({
  apiVersion: z.literal("v1").optional(),
  kind: z.literal("Pod").optional(),
  metadata: z.strictObject({ labels: StringMap.optional(), annotations: StringMap.optional() }).optional(),
  spec: z
    .strictObject({
      nodeSelector: StringMap.optional(),
      tolerations: z.array(Passthrough).optional(),
      affinity: Passthrough.optional(),
      topologySpreadConstraints: z.array(Passthrough).optional(),
      priorityClassName: z.string().optional(),
      runtimeClassName: z.string().optional(),
      schedulerName: z.string().optional(),
      serviceAccountName: z.string().optional(),
      automountServiceAccountToken: z.boolean().optional(),
      imagePullSecrets: z.array(z.strictObject({ name: z.string().min(1) })).optional(),
      securityContext: Passthrough.optional(),
      activeDeadlineSeconds: z.number().int().positive().optional(),
      dnsPolicy: z.string().optional(),
      containers: z
        .array(
          z.strictObject({
            name: z.string().optional(),
            resources: Resources.optional(),
            securityContext: Passthrough.optional(),
            imagePullPolicy: z.enum(["Always", "IfNotPresent", "Never"]).optional(),
          }),
        )
        .max(1, "a sandbox pod has one container: give at most one entry, whose settings apply to it")
        .optional(),
    })
    .optional(),
});
export type PodTemplate = z.infer<typeof PodTemplate>;

/** Reads a pod template (YAML or JSON); a bad one is an error naming the file and the field. */
export function loadPodTemplate(file: string): PodTemplate {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new SandboxConfigError(
      `--pod-template ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  let data: unknown;
  try {
    data = parse(text);
  } catch (error) {
    throw new SandboxConfigError(`--pod-template ${file}: not valid YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  const parsed = PodTemplate.safeParse(data ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join(".") || "(top level)";
    const unknown = issue.code === "unrecognized_keys" ? `: unknown field ${issue.keys.map((k) => `"${k}"`).join(", ")}` : "";
    throw new SandboxConfigError(`--pod-template ${file}: field ${field}: ${issue.message}${unknown}`);
  }
  return parsed.data;
}
