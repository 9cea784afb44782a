import type { RepoSpec, RepoSpecMap } from "../repo-spec.ts";
import { VERIFIED_SPECS } from "./verified.ts";

export { VERIFIED_SPECS };

/** No spec for a row's (repo, version): neither the official map nor the dataset's specs.json has it. */
export class MissingSpecError extends Error {
  constructor(
    readonly repo: string,
    readonly version: string,
    readonly instanceId: string,
  ) {
    super(
      `no spec for repo "${repo}" version "${version}" (instance ${instanceId}): ` +
        `it is not in the official SWE-bench map and not in the dataset's specs.json`,
    );
    this.name = "MissingSpecError";
  }
}

/** The official map wins, so a dataset cannot silently change how an official instance is run. */
export function specFor(row: { repo: string; version: string; instance_id: string }, extraSpecs: RepoSpecMap = {}): RepoSpec {
  const spec = lookup(VERIFIED_SPECS, row) ?? lookup(extraSpecs, row);
  if (!spec) throw new MissingSpecError(row.repo, row.version, row.instance_id);
  return spec;
}

// Own keys only: a repo named "constructor" must not find Object.prototype's.
function lookup(map: RepoSpecMap, row: { repo: string; version: string }): RepoSpec | undefined {
  if (!Object.hasOwn(map, row.repo)) return undefined;
  const byVersion = map[row.repo]!;
  return Object.hasOwn(byVersion, row.version) ? byVersion[row.version] : undefined;
}
