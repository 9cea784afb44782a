import { describe, expect, it } from "vitest";
import { MissingEvalScriptError, evalScriptFor, generateEvalScript, withTestExitCode } from "../harness/evaluation/eval-script.ts";
import type { RepoSpec } from "../harness/dataset/repo-spec.ts";
import { MissingSpecError, specFor } from "../harness/dataset/specs/index.ts";

const ASTROPY_BC = "d16bfe05a744909de4b27f5875fe0d4ed41ce607";
const astropyPatch = `diff --git a/astropy/modeling/tests/test_separable.py b/astropy/modeling/tests/test_separable.py
--- a/astropy/modeling/tests/test_separable.py
+++ b/astropy/modeling/tests/test_separable.py
@@ -1,2 +1,3 @@
 p1 = models.Polynomial1D(1, name='p1')
+p2 = models.Polynomial1D(2, name='p2')
 
`;
const astropy = {
  instance_id: "astropy__astropy-12907",
  repo: "astropy/astropy",
  version: "4.3",
  base_commit: ASTROPY_BC,
  test_patch: astropyPatch,
};

// The worked example of the reference notes (§4.5), with <test_patch> filled in.
const ASTROPY_EXPECTED = `#!/bin/bash
set -uxo pipefail
source /opt/miniconda3/bin/activate
conda activate testbed
cd /testbed
git config --global --add safe.directory /testbed
cd /testbed
git status
git show
git -c core.fileMode=false diff d16bfe05a744909de4b27f5875fe0d4ed41ce607
source /opt/miniconda3/bin/activate
conda activate testbed
python -m pip install -e .[test] --verbose
git checkout d16bfe05a744909de4b27f5875fe0d4ed41ce607 astropy/modeling/tests/test_separable.py
git apply -v - <<'EOF_114329324912'
${astropyPatch}
EOF_114329324912
: '>>>>> Start Test Output'
pytest -rA astropy/modeling/tests/test_separable.py
: '>>>>> End Test Output'
git checkout d16bfe05a744909de4b27f5875fe0d4ed41ce607 astropy/modeling/tests/test_separable.py
`;

const BC = "0123456789abcdef0123456789abcdef01234567";
const newFileOnly = `diff --git a/tests/test_new.py b/tests/test_new.py
new file mode 100644
index 0000000..1111111
--- /dev/null
+++ b/tests/test_new.py
@@ -0,0 +1 @@
+def test_new(): pass
`;
const sphinxNewFile = {
  instance_id: "sphinx-doc__sphinx-1",
  repo: "sphinx-doc/sphinx",
  version: "3.5",
  base_commit: BC,
  test_patch: newFileOnly,
};
const lines = (script: string) => script.split("\n");

describe("generateEvalScript", () => {
  it("reproduces the astropy-12907 example byte for byte", () => {
    expect(generateEvalScript(astropy, specFor(astropy))).toBe(ASTROPY_EXPECTED);
  });

  it("puts django's eval_commands after the first cd and passes module labels", () => {
    const row = {
      instance_id: "django__django-1",
      repo: "django/django",
      version: "3.0",
      base_commit: BC,
      test_patch:
        newFileOnly.replaceAll("tests/test_new.py", "tests/inspectdb/models.py") +
        newFileOnly.replaceAll("tests/test_new.py", "tests/inspectdb/tests.py"),
    };
    const script = lines(generateEvalScript(row, specFor(row)));
    expect(script.slice(4, 9)).toEqual([
      "cd /testbed",
      "sed -i '/en_US.UTF-8/s/^# //g' /etc/locale.gen && locale-gen",
      "export LANG=en_US.UTF-8",
      "export LANGUAGE=en_US:en",
      "export LC_ALL=en_US.UTF-8",
    ]);
    expect(script).toContain("./tests/runtests.py --verbosity 2 --settings=test_sqlite --parallel 1 inspectdb.models inspectdb.tests");
  });

  describe("a test patch that only creates files", () => {
    it('v4.1.0 resets with a bare "git checkout <bc> ", which leaves the setup commit (#518)', () => {
      const script = lines(generateEvalScript(sphinxNewFile, specFor(sphinxNewFile), { resetPolicy: "v4.1.0" }));
      expect(script.filter((l) => l === `git checkout ${BC} `)).toHaveLength(2);
      expect(script.some((l) => l.startsWith("rm -f"))).toBe(false);
    });

    it("#539 (the default) removes the created file before the patch and after the tests", () => {
      const script = lines(generateEvalScript(sphinxNewFile, specFor(sphinxNewFile)));
      const removals = script.flatMap((l, i) => (l === "rm -f tests/test_new.py" ? [i] : []));
      expect(removals).toHaveLength(2);
      expect(script[removals[0]! + 1]).toMatch(/^git apply -v - <<'EOF_114329324912'/);
      expect(script[removals[1]! - 1]).toBe(": '>>>>> End Test Output'");
      expect(script.some((l) => l.startsWith("git checkout"))).toBe(false);
    });

    it("v5-dataset checks out the post-image path, which git refuses for a created file", () => {
      const script = lines(generateEvalScript(sphinxNewFile, specFor(sphinxNewFile), { resetPolicy: "v5-dataset" }));
      expect(script.filter((l) => l === `git checkout ${BC} tests/test_new.py`)).toHaveLength(2);
    });
  });

  it("#539 resets modified and created files with one command each", () => {
    const row = { ...sphinxNewFile, test_patch: astropyPatch + newFileOnly };
    const script = lines(generateEvalScript(row, specFor(row)));
    const at = script.indexOf(`git checkout ${BC} astropy/modeling/tests/test_separable.py`);
    expect(script[at + 1]).toBe("rm -f tests/test_new.py");
    expect(script.at(-3)).toBe(`git checkout ${BC} astropy/modeling/tests/test_separable.py`);
    expect(script.at(-2)).toBe("rm -f tests/test_new.py");
    expect(script.at(-1)).toBe("");
  });

  it("omits the install line when the spec has none", () => {
    const spec: RepoSpec = { test_cmd: "pytest -q" };
    const script = lines(generateEvalScript({ ...astropy, repo: "acme/w" }, spec));
    expect(script.slice(10, 13)).toEqual([
      "source /opt/miniconda3/bin/activate",
      "conda activate testbed",
      `git checkout ${ASTROPY_BC} astropy/modeling/tests/test_separable.py`,
    ]);
    expect(script).toContain("pytest -q astropy/modeling/tests/test_separable.py");
  });
});

describe("evalScriptFor", () => {
  it("uses the dataset's eval_script only when asked", () => {
    const row = { ...astropy, eval_script: "#!/bin/bash\necho from-dataset\n" };
    expect(evalScriptFor(row, specFor(row), { source: "dataset" })).toBe(row.eval_script);
    expect(evalScriptFor(row, specFor(row), { source: "generated" })).toBe(ASTROPY_EXPECTED);
  });

  it("fails when asked for the dataset's script and the row has none", () => {
    expect(() => evalScriptFor(astropy, specFor(astropy), { source: "dataset" })).toThrow(MissingEvalScriptError);
  });
});

describe("withTestExitCode", () => {
  it("records the test command's status around the end marker", () => {
    const script = lines(withTestExitCode(ASTROPY_EXPECTED));
    const end = script.indexOf(": '>>>>> End Test Output'");
    expect(script.slice(end - 2, end + 2)).toEqual([
      "pytest -rA astropy/modeling/tests/test_separable.py",
      "SWEBENCH_TEST_EXIT_CODE=$?",
      ": '>>>>> End Test Output'",
      'echo ">>>>> Test Exit Code: $SWEBENCH_TEST_EXIT_CODE"',
    ]);
    expect(script.slice(0, 2)).toEqual(["#!/bin/bash", "set -uxo pipefail"]);
    expect(script.filter((l) => l === "#!/bin/bash")).toHaveLength(1);
    expect(script.length).toBe(lines(ASTROPY_EXPECTED).length + 2);
  });

  it("leaves a script without an end marker as it was", () => {
    expect(withTestExitCode("#!/bin/bash\nset -uxo pipefail\necho hi\n")).toBe("#!/bin/bash\nset -uxo pipefail\necho hi\n");
  });
});

describe("specFor", () => {
  it("prefers the official map, then the dataset's specs", () => {
    const extra = {
      "astropy/astropy": { "4.3": { test_cmd: "not used" } },
      "acme/w": { "1.0": { test_cmd: "pytest -q" } },
    };
    expect(specFor(astropy, extra).test_cmd).toBe("pytest -rA");
    expect(specFor({ instance_id: "acme__w-1", repo: "acme/w", version: "1.0" }, extra).test_cmd).toBe("pytest -q");
  });

  it("names the repo and version it has no spec for", () => {
    const error = (() => {
      try {
        specFor({ instance_id: "django__django-9", repo: "django/django", version: "0.9" });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(MissingSpecError);
    expect(error).toMatchObject({ repo: "django/django", version: "0.9" });
    expect(() => specFor({ instance_id: "x", repo: "constructor", version: "name" })).toThrow(MissingSpecError);
  });
});
