import { describe, expect, it } from "vitest";
import { layerGroup, orderBySharedLayers } from "../harness/images/layer-groups.ts";

describe("the queue in layer-sharing order", () => {
  const row = (id: string, repo: string, version: string) => ({ id, repo, version });

  it("runs instances of the same repository and version together, groups in order of first appearance", () => {
    const rows = [
      row("django-1", "django/django", "4.0"),
      row("sympy-1", "sympy/sympy", "1.11"),
      row("django-2", "django/django", "3.2"),
      row("django-3", "django/django", "4.0"),
      row("sympy-2", "sympy/sympy", "1.11"),
      row("django-4", "django/django", "3.2"),
    ];
    expect(orderBySharedLayers(rows).map((r) => r.id)).toEqual(["django-1", "django-3", "sympy-1", "sympy-2", "django-2", "django-4"]);
  });

  it("keeps every row once and leaves an already grouped queue as it is", () => {
    const rows = [row("a", "o/a", "1"), row("b", "o/a", "1"), row("c", "o/b", "1")];
    expect(orderBySharedLayers(rows)).toEqual(rows);
    expect(layerGroup(rows[0]!)).not.toBe(layerGroup(rows[2]!));
    expect(layerGroup(row("x", "o/a", "2"))).not.toBe(layerGroup(rows[0]!));
  });
});
