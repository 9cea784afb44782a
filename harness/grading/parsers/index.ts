import type { Semantics, StatusMap } from "../test-status.ts";
import { parseLogDjango } from "./django.ts";
import { parseLogMatplotlib } from "./matplotlib.ts";
import { parseLogPytestOptions } from "./pytest-options.ts";
import { parseLogPytestV2 } from "./pytest-v2.ts";
import { parseLogPytest } from "./pytest.ts";
import { parseLogSeaborn } from "./seaborn.ts";
import { parseLogSympy } from "./sympy.ts";

/** A test-log parser: the text between the eval markers → test name → recorded status. */
export type LogParser = (log: string, semantics: Semantics) => StatusMap;

/** The official Python parsers by their official names, aliases included (v5's `log_parser` column uses the aliases). */
export const PARSERS_BY_NAME = {
  parse_log_pytest: parseLogPytest,
  parse_log_pytest_options: parseLogPytestOptions,
  parse_log_django: parseLogDjango,
  parse_log_pytest_v2: parseLogPytestV2,
  parse_log_seaborn: parseLogSeaborn,
  parse_log_sympy: parseLogSympy,
  parse_log_matplotlib: parseLogMatplotlib,
  parse_log_astroid: parseLogPytest,
  parse_log_flask: parseLogPytest,
  parse_log_marshmallow: parseLogPytest,
  parse_log_pvlib: parseLogPytest,
  parse_log_pyvista: parseLogPytest,
  parse_log_sqlfluff: parseLogPytest,
  parse_log_xarray: parseLogPytest,
  parse_log_pydicom: parseLogPytestOptions,
  parse_log_requests: parseLogPytestOptions,
  parse_log_pylint: parseLogPytestOptions,
  parse_log_astropy: parseLogPytestV2,
  parse_log_scikit: parseLogPytestV2,
  parse_log_sphinx: parseLogPytestV2,
} as const satisfies Record<string, LogParser>;
export type ParserName = keyof typeof PARSERS_BY_NAME;

/** `MAP_REPO_TO_PARSER_PY` of v4.1.0: the parser is fixed by repo, never by version. */
export const REPO_TO_PARSER_NAME: Readonly<Record<string, ParserName>> = {
  "astropy/astropy": "parse_log_astropy",
  "django/django": "parse_log_django",
  "marshmallow-code/marshmallow": "parse_log_marshmallow",
  "matplotlib/matplotlib": "parse_log_matplotlib",
  "mwaskom/seaborn": "parse_log_seaborn",
  "pallets/flask": "parse_log_flask",
  "psf/requests": "parse_log_requests",
  "pvlib/pvlib-python": "parse_log_pvlib",
  "pydata/xarray": "parse_log_xarray",
  "pydicom/pydicom": "parse_log_pydicom",
  "pylint-dev/astroid": "parse_log_astroid",
  "pylint-dev/pylint": "parse_log_pylint",
  "pytest-dev/pytest": "parse_log_pytest",
  "pyvista/pyvista": "parse_log_pyvista",
  "scikit-learn/scikit-learn": "parse_log_scikit",
  "sqlfluff/sqlfluff": "parse_log_sqlfluff",
  "sphinx-doc/sphinx": "parse_log_sphinx",
  "sympy/sympy": "parse_log_sympy",
};

export function isParserName(name: string): name is ParserName {
  return Object.hasOwn(PARSERS_BY_NAME, name);
}

/** No parser is known for the repo: not in the official map and no `log_parser` given. */
export class NoLogParserError extends Error {
  constructor(readonly repo: string) {
    super(
      `no log parser for repo "${repo}": it is not in the official repo→parser map, and neither ` +
        `the dataset row nor the repo spec has a log_parser`,
    );
    this.name = "NoLogParserError";
  }
}

/** A `log_parser` names no official Python parser. */
export class UnknownLogParserError extends Error {
  constructor(
    readonly repo: string,
    readonly name: string,
    readonly source: "row" | "spec",
  ) {
    super(
      `the ${source === "row" ? "dataset row's" : "repo spec's"} log_parser "${name}" for repo ` +
        `"${repo}" is not an official parser; expected one of ${Object.keys(PARSERS_BY_NAME).join(", ")}`,
    );
    this.name = "UnknownLogParserError";
  }
}

export interface SelectedParser {
  name: ParserName;
  source: "official-map" | "row" | "spec";
  parse: LogParser;
}

/**
 * The one place that decides which parser reads a repo's logs: the official repo map first, then
 * the dataset row's `log_parser` column (v5 datasets), then the repo spec's `log_parser`.
 */
export function selectLogParser(input: {
  repo: string;
  rowLogParser?: string | undefined;
  specLogParser?: string | undefined;
}): SelectedParser {
  const official = Object.hasOwn(REPO_TO_PARSER_NAME, input.repo) ? REPO_TO_PARSER_NAME[input.repo] : undefined;
  if (official) return { name: official, source: "official-map", parse: PARSERS_BY_NAME[official] };
  for (const [source, name] of [
    ["row", input.rowLogParser],
    ["spec", input.specLogParser],
  ] as const) {
    if (name === undefined) continue;
    if (!isParserName(name)) throw new UnknownLogParserError(input.repo, name, source);
    return { name, source, parse: PARSERS_BY_NAME[name] };
  }
  throw new NoLogParserError(input.repo);
}
