/**
 * Kubernetes label selectors, the subset the API server accepts in `labelSelector`:
 * `key`, `!key`, `key=value`, `key==value`, `key!=value`, `key in (a,b)`, `key notin (a,b)`,
 * joined by commas. A selector that does not parse is the caller's error (400 from the server).
 */
export type LabelSelector = (labels: Record<string, string>) => boolean;

export class SelectorError extends Error {}

export function parseLabelSelector(text: string | undefined): LabelSelector {
  const requirements: LabelSelector[] = [];
  // Commas inside parentheses belong to a set, not to the list of requirements.
  const parts = (text ?? "").match(/(?:[^,(]+|\([^)]*\))+/g) ?? [];
  for (const raw of parts) {
    const part = raw.trim();
    if (!part) continue;
    let match: RegExpExecArray | null;
    if ((match = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part))) {
      const [, key, op, list] = match as unknown as [string, string, string, string];
      const values = new Set(list.split(",").map((v) => v.trim()));
      requirements.push(op === "in" ? (l) => key in l && values.has(l[key]!) : (l) => !(key in l) || !values.has(l[key]!));
    } else if ((match = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(part))) {
      const [, key, op, value] = match as unknown as [string, string, string, string];
      requirements.push(op === "!=" ? (l) => l[key] !== value : (l) => l[key] === value);
    } else if ((match = /^(!?)([\w./-]+)$/.exec(part))) {
      const [, not, key] = match as unknown as [string, string, string];
      requirements.push(not ? (l) => !(key in l) : (l) => key in l);
    } else {
      throw new SelectorError(`unable to parse requirement: "${part}"`);
    }
  }
  return (labels) => requirements.every((requirement) => requirement(labels));
}

/** `metadata.name=x` / `metadata.namespace=x` / `status.phase=x` (with != too), the pod fields a selector may use. */
export function parseFieldSelector(
  text: string | undefined,
): (pod: { metadata: { name: string; namespace: string }; status: { phase: string } }) => boolean {
  const checks: Array<(pod: { metadata: { name: string; namespace: string }; status: { phase: string } }) => boolean> = [];
  for (const part of (text ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const match = /^(metadata\.name|metadata\.namespace|status\.phase)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!match)
      throw new SelectorError(`"${part}" is not a known field selector: only "metadata.name", "metadata.namespace", "status.phase"`);
    const [, field, op, value] = match as unknown as [string, string, string, string];
    const read = (pod: { metadata: { name: string; namespace: string }; status: { phase: string } }) =>
      field === "metadata.name" ? pod.metadata.name : field === "metadata.namespace" ? pod.metadata.namespace : pod.status.phase;
    checks.push(op === "!=" ? (pod) => read(pod) !== value : (pod) => read(pod) === value);
  }
  return (pod) => checks.every((check) => check(pod));
}
