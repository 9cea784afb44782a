import type { RepoSpec, RepoSpecMap } from "../repo-spec.ts";

/**
 * The official per-repo, per-version specs (SWE-bench v4.1.0 `constants/python.py`) for the 12
 * repos of SWE-bench Verified, every version that occurs in Verified. Only what eval.sh uses
 * (test_cmd, install, eval_commands) plus the environment's python version; the other build-time
 * fields matter only when building the official images, which we pull instead.
 */

const PYTEST = "pytest -rA";
const ASTROPY_PYTEST = "pytest -rA -vv -o console_output_style=classic --tb=no";
const DJANGO = "./tests/runtests.py --verbosity 2 --settings=test_sqlite --parallel 1";
const SEABORN = "pytest --no-header -rA";
const SPHINX = "tox --current-env -epy39 -v --";
const SYMPY = "PYTHONWARNINGS='ignore::UserWarning,ignore::SyntaxWarning' bin/test -C --verbose";

const PIP_EDITABLE = "python -m pip install -e .";

// Django before 3.0 installs non-editably under python 3.5 and needs a UTF-8 locale spelled out.
const DJANGO_LEGACY_LOCALE = [
  "export LANG=en_US.UTF-8",
  "export LC_ALL=en_US.UTF-8",
  "export PYTHONIOENCODING=utf8",
  "export LANGUAGE=en_US:en",
];
const DJANGO_3_LOCALE = [
  "sed -i '/en_US.UTF-8/s/^# //g' /etc/locale.gen && locale-gen",
  "export LANG=en_US.UTF-8",
  "export LANGUAGE=en_US:en",
  "export LC_ALL=en_US.UTF-8",
];

function versions(list: string[], spec: RepoSpec): Record<string, RepoSpec> {
  return Object.fromEntries(list.map((version) => [version, spec]));
}

export const VERIFIED_SPECS: RepoSpecMap = {
  "astropy/astropy": {
    ...versions(["1.3"], { test_cmd: ASTROPY_PYTEST, install: "python -m pip install -e .[test] --verbose", python: "3.6" }),
    ...versions(["3.1", "4.3", "5.0", "5.1", "5.2"], {
      test_cmd: PYTEST,
      install: "python -m pip install -e .[test] --verbose",
      python: "3.9",
    }),
  },
  "django/django": {
    ...versions(["1.11", "2.2"], {
      test_cmd: DJANGO,
      install: "python setup.py install",
      eval_commands: DJANGO_LEGACY_LOCALE,
      python: "3.5",
    }),
    ...versions(["3.0", "3.1", "3.2"], { test_cmd: DJANGO, install: PIP_EDITABLE, eval_commands: DJANGO_3_LOCALE, python: "3.6" }),
    ...versions(["4.0"], { test_cmd: DJANGO, install: PIP_EDITABLE, python: "3.8" }),
    ...versions(["4.1", "4.2"], { test_cmd: DJANGO, install: PIP_EDITABLE, python: "3.9" }),
    ...versions(["5.0"], { test_cmd: DJANGO, install: PIP_EDITABLE, python: "3.11" }),
  },
  "matplotlib/matplotlib": {
    ...versions(["3.0"], { test_cmd: PYTEST, install: PIP_EDITABLE, python: "3.7" }),
    ...versions(["3.1", "3.4"], { test_cmd: PYTEST, install: PIP_EDITABLE, python: "3.8" }),
    ...versions(["3.5", "3.6", "3.7"], { test_cmd: PYTEST, install: PIP_EDITABLE, python: "3.11" }),
  },
  "mwaskom/seaborn": versions(["0.12"], { test_cmd: SEABORN, install: "python -m pip install -e .[dev]", python: "3.9" }),
  "pallets/flask": versions(["2.3"], { test_cmd: PYTEST, install: PIP_EDITABLE, python: "3.11" }),
  // Not editable: requests is installed as a regular package.
  "psf/requests": versions(["1.1", "2.0", "2.3", "2.4", "2.9", "2.26", "2.27"], {
    test_cmd: PYTEST,
    install: "python -m pip install .",
    python: "3.9",
  }),
  "pydata/xarray": versions(["0.12", "2022.03", "2022.06", "2022.09"], { test_cmd: PYTEST, install: PIP_EDITABLE, python: "3.10" }),
  "pylint-dev/pylint": versions(["2.9", "2.10", "2.14", "2.15", "3.0"], { test_cmd: PYTEST, install: PIP_EDITABLE, python: "3.9" }),
  "pytest-dev/pytest": versions(["4.5", "4.6", "5.0", "5.1", "5.2", "5.4", "6.0", "6.2", "6.3", "7.2"], {
    test_cmd: PYTEST,
    install: PIP_EDITABLE,
    python: "3.9",
  }),
  // Re-running this install at eval time recompiles the C extensions.
  "scikit-learn/scikit-learn": {
    ...versions(["0.20", "0.21", "0.22"], {
      test_cmd: PYTEST,
      install: "python -m pip install -v --no-use-pep517 --no-build-isolation -e .",
      python: "3.6",
    }),
    ...versions(["1.3"], {
      test_cmd: PYTEST,
      install: "python -m pip install -v --no-use-pep517 --no-build-isolation -e .",
      python: "3.9",
    }),
  },
  "sphinx-doc/sphinx": versions(["3.0", "3.1", "3.2", "3.3", "3.4", "3.5", "4.0", "4.1", "4.2", "4.3", "5.0", "5.1", "5.2", "7.1", "7.2"], {
    test_cmd: SPHINX,
    install: "python -m pip install -e .[test]",
    python: "3.9",
  }),
  "sympy/sympy": versions(["1.0", "1.1", "1.2", "1.4", "1.5", "1.6", "1.7", "1.8", "1.9", "1.10", "1.11", "1.12"], {
    test_cmd: SYMPY,
    install: PIP_EDITABLE,
    python: "3.9",
  }),
};
