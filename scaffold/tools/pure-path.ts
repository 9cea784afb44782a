/**
 * POSIX paths spelled the way Python's `pathlib.PurePosixPath` prints them. SWE-agent's editor
 * echoes `str(Path(path))` in every message, so "/testbed//a/./b/" must read "/testbed/a/b".
 */
export class PurePath {
  private constructor(
    /** "", "/" or "//" (POSIX keeps exactly two leading slashes). */
    readonly root: string,
    readonly parts: readonly string[],
  ) {}

  static of(raw: string): PurePath {
    const root = raw.startsWith("//") && !raw.startsWith("///") ? "//" : raw.startsWith("/") ? "/" : "";
    // pathlib drops empty and "." components but keeps "..", which it cannot resolve lexically.
    const parts = raw.split("/").filter((part) => part !== "" && part !== ".");
    return new PurePath(root, parts);
  }

  get isAbsolute(): boolean {
    return this.root !== "";
  }

  /** `path.parent`: the root and "." are their own parents. */
  get parent(): PurePath {
    return this.parts.length === 0 ? this : new PurePath(this.root, this.parts.slice(0, -1));
  }

  /** `path.suffix`, e.g. ".py". */
  get suffix(): string {
    const name = this.parts[this.parts.length - 1] ?? "";
    const dot = name.lastIndexOf(".");
    return dot > 0 && dot < name.length - 1 ? name.slice(dot) : "";
  }

  /** `self / other`: an absolute `other` wins, as in pathlib. */
  join(other: PurePath): PurePath {
    return other.isAbsolute ? other : new PurePath(this.root, [...this.parts, ...other.parts]);
  }

  toString(): string {
    const body = this.parts.join("/");
    return this.root + body || ".";
  }
}
