import { describe, expect, it } from "vitest";
import { applyImageTemplate, imageFor, officialImageName } from "../harness/images/image-name.ts";
import type { TaskRow } from "../harness/dataset/task-row.ts";

const row = { instance_id: "django__django-11099", repo: "django/django", version: "3.0" } as TaskRow;

describe("image names", () => {
  it("follow the official Docker Hub naming", () => {
    expect(officialImageName("django__django-11099")).toBe("swebench/sweb.eval.x86_64.django_1776_django-11099:latest");
    expect(officialImageName("sympy__sympy-20590")).toBe("swebench/sweb.eval.x86_64.sympy_1776_sympy-20590:latest");
    // Upper case in ids (e.g. some repos' names) is lowered, as Docker requires.
    expect(officialImageName("Foo__Bar-1")).toBe("swebench/sweb.eval.x86_64.foo_1776_bar-1:latest");
  });

  it("fill templates and prefer them over the dataset column", () => {
    expect(applyImageTemplate("local/{instance_id_lower}:{version}", row)).toBe("local/django__django-11099:3.0");
    expect(applyImageTemplate("x/{docker_id}", row)).toBe("x/django_1776_django-11099");
    expect(imageFor({ ...row, image: "from/column:tag" } as TaskRow)).toBe("from/column:tag");
    expect(imageFor({ ...row, image: "from/column:tag" } as TaskRow, "t/{instance_id}")).toBe("t/django__django-11099");
    expect(imageFor(row)).toBe("swebench/sweb.eval.x86_64.django_1776_django-11099:latest");
  });
});
