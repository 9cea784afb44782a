import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  DatasetDownloadError,
  DatasetParseError,
  DatasetRowError,
  DatasetSourceError,
  DuplicateInstanceError,
  SpecsFileError,
  UnknownInstancesError,
  VERIFIED_URL,
  loadDataset,
} from "../harness/dataset/dataset.ts";

const SHARED = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../shared");
const VERIFIED_PARQUET = path.join(SHARED, "data/swe-bench-verified.parquet");
const hasShared = existsSync(VERIFIED_PARQUET);
if (!hasShared) console.warn(`dataset.test.ts: ${VERIFIED_PARQUET} is absent; skipping the real Verified parquet test`);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "bottega-dataset-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function row(id: string, overrides: Record<string, unknown> = {}): Record<string, string> {
  return {
    repo: "acme/widgets",
    instance_id: id,
    base_commit: "a".repeat(40),
    patch: "diff --git a/w.py b/w.py\n",
    test_patch: "diff --git a/tests/test_w.py b/tests/test_w.py\n",
    problem_statement: `problem of ${id}`,
    hints_text: "",
    created_at: "2024-01-01T00:00:00Z",
    version: "1.0",
    FAIL_TO_PASS: JSON.stringify([`tests/test_w.py::test_${id}`]),
    PASS_TO_PASS: "[]",
    environment_setup_commit: "b".repeat(40),
    ...overrides,
  } as Record<string, string>;
}

function write(name: string, content: string | Uint8Array): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
const ROWS = [row("acme__widgets-3"), row("acme__widgets-1"), row("acme__widgets-2")];
const IDS = ROWS.map((r) => r.instance_id);

describe("loadDataset: source kinds", () => {
  it("reads a .jsonl file, keeps order and decodes the test lists", async () => {
    const file = write("tasks.jsonl", jsonl(ROWS));
    const loaded = await loadDataset({ source: file });
    expect(loaded.rows.map((r) => r.instance_id)).toEqual(IDS);
    expect(loaded.rows[0]!.FAIL_TO_PASS).toEqual(["tests/test_w.py::test_acme__widgets-3"]);
    expect(loaded.rows[0]!.PASS_TO_PASS).toEqual([]);
    expect(loaded.source).toBe(file);
    expect(loaded.specs).toEqual({});
  });

  it("reads a .json list, accepting test lists that are already arrays", async () => {
    const file = write("tasks.json", JSON.stringify([row("x__y-1", { FAIL_TO_PASS: ["t1", "t2"] })]));
    const loaded = await loadDataset({ source: file });
    expect(loaded.rows[0]!.FAIL_TO_PASS).toEqual(["t1", "t2"]);
  });

  it("reads a .parquet file", async () => {
    const file = write("tasks.parquet", writeParquet(ROWS));
    const loaded = await loadDataset({ source: file });
    expect(loaded.rows.map((r) => r.instance_id)).toEqual(IDS);
    expect(loaded.rows[1]!.problem_statement).toBe("problem of acme__widgets-1");
  });

  it("reads <split>.<ext> from a folder, with specs.json beside it", async () => {
    write("ds/dev.jsonl", jsonl([row("x__y-9")]));
    write("ds/test.parquet", writeParquet(ROWS));
    const specs = { "acme/widgets": { "1.0": { test_cmd: "pytest -rA", install: "pip install -e ." } } };
    write("ds/specs.json", JSON.stringify(specs));

    const test = await loadDataset({ source: path.join(dir, "ds") });
    expect(test.rows.map((r) => r.instance_id)).toEqual(IDS);
    expect(test.source).toBe(path.join(dir, "ds/test.parquet"));
    expect(test.specs).toEqual(specs);

    const dev = await loadDataset({ source: path.join(dir, "ds"), split: "dev" });
    expect(dev.rows.map((r) => r.instance_id)).toEqual(["x__y-9"]);
  });

  it("picks up specs.json beside a dataset file", async () => {
    const file = write("tasks.jsonl", jsonl(ROWS));
    write("specs.json", JSON.stringify({ "acme/widgets": { "1.0": { test_cmd: "pytest" } } }));
    expect((await loadDataset({ source: file })).specs["acme/widgets"]?.["1.0"]?.test_cmd).toBe("pytest");
  });

  it("rejects a specs.json that is not a repo → version → spec map, naming the field", async () => {
    const file = write("tasks.jsonl", jsonl(ROWS));
    write("specs.json", JSON.stringify({ "acme/widgets": { "1.0": { install: "pip install ." } } }));
    const error = await loadDataset({ source: file }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpecsFileError);
    expect((error as SpecsFileError).field).toBe("acme/widgets.1.0.test_cmd");
    expect((error as SpecsFileError).message).toContain(path.join(dir, "specs.json"));
  });

  it("refuses missing paths, unknown file types and folders without the split", async () => {
    await expect(loadDataset({ source: path.join(dir, "nope.jsonl") })).rejects.toBeInstanceOf(DatasetSourceError);
    await expect(loadDataset({ source: write("tasks.csv", "a,b\n") })).rejects.toThrow(/unsupported file type/);
    write("empty/readme.md", "");
    await expect(loadDataset({ source: path.join(dir, "empty") })).rejects.toThrow(/test\.parquet, test\.jsonl, test\.json/);
  });

  it("reports unparsable files with the file and line", async () => {
    const file = write("tasks.jsonl", `${JSON.stringify(ROWS[0])}\n{not json\n`);
    const error = await loadDataset({ source: file }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetParseError);
    expect(error).toMatchObject({ file, line: 2 });
    await expect(loadDataset({ source: write("obj.json", "{}") })).rejects.toThrow(/expected a JSON list of rows/);
    await expect(loadDataset({ source: write("bad.parquet", "PAR1 not really PAR1") })).rejects.toBeInstanceOf(DatasetParseError);
  });
});

describe("loadDataset: row validation", () => {
  it("names the file, the row, the instance and the field of a bad row", async () => {
    const file = write("tasks.jsonl", jsonl([ROWS[0]!, row("acme__widgets-7", { base_commit: "deadbeef" })]));
    const error = await loadDataset({ source: file }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetRowError);
    expect(error).toMatchObject({ file, index: 1, line: 2, instanceId: "acme__widgets-7", field: "base_commit" });
    const message = (error as Error).message;
    expect(message).toContain(file);
    expect(message).toContain("acme__widgets-7");
    expect(message).toContain('"base_commit"');
    expect(message).toContain("40-hex");
  });

  it("explains a test list that is not a JSON list", async () => {
    const file = write("tasks.json", JSON.stringify([row("a__b-1", { PASS_TO_PASS: "not json" })]));
    const error = await loadDataset({ source: file }).catch((e: unknown) => e);
    expect(error).toMatchObject({ index: 0, field: "PASS_TO_PASS" });
    expect((error as Error).message).toContain("JSON-encoded list");
  });

  it("reports a missing instance_id without inventing one", async () => {
    const { instance_id: _, ...bad } = row("x");
    const file = write("tasks.jsonl", jsonl([row("a__b-1"), row("a__b-2"), bad]));
    const error = await loadDataset({ source: file }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetRowError);
    expect(error).toMatchObject({ index: 2, line: 3, instanceId: undefined, field: "instance_id" });
  });

  it("refuses duplicate instance ids", async () => {
    const file = write("tasks.jsonl", jsonl([row("a__b-1"), row("a__b-2"), row("a__b-1")]));
    const error = await loadDataset({ source: file }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DuplicateInstanceError);
    expect(error).toMatchObject({ instanceId: "a__b-1", indexes: [0, 2] });
  });
});

describe("loadDataset: instance filter", () => {
  it("keeps the dataset's order, not the filter's, and reports all ids", async () => {
    const file = write("tasks.jsonl", jsonl(ROWS));
    const loaded = await loadDataset({ source: file, instances: ["acme__widgets-2", "acme__widgets-3"] });
    expect(loaded.rows.map((r) => r.instance_id)).toEqual(["acme__widgets-3", "acme__widgets-2"]);
    expect(loaded.datasetIds).toEqual(IDS);
  });

  it("names unknown ids", async () => {
    const file = write("tasks.jsonl", jsonl(ROWS));
    const error = await loadDataset({ source: file, instances: ["acme__widgets-1", "acme__widgets-404"] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownInstancesError);
    expect((error as UnknownInstancesError).instanceIds).toEqual(["acme__widgets-404"]);
    expect((error as Error).message).toContain("acme__widgets-404");
  });
});

describe("loadDataset: the verified alias", () => {
  const cachedFile = () => path.join(dir, "cache", "SWE-bench_Verified", "test-00000-of-00001.parquet");

  it("fails offline with a clear, typed error and leaves no cache behind", async () => {
    const offline = vi.fn(async () => {
      throw new TypeError("fetch failed", { cause: new Error("getaddrinfo ENOTFOUND huggingface.co") });
    });
    const error = await loadDataset({ source: "verified", cacheDir: path.join(dir, "cache"), fetch: offline }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetDownloadError);
    const message = (error as Error).message;
    expect(message).toContain("needs the network once");
    expect(message).toContain("local .parquet");
    expect(message).toContain("ENOTFOUND");
    expect(offline).toHaveBeenCalledWith(VERIFIED_URL);
    expect(existsSync(cachedFile())).toBe(false);
  });

  it("downloads once into the cache, then reads the cached copy (any of its names)", async () => {
    const parquet = writeParquet(ROWS);
    const online = vi.fn(async () => new Response(parquet));
    const cacheDir = path.join(dir, "cache");

    const first = await loadDataset({ source: "verified", cacheDir, fetch: online });
    expect(first.rows.map((r) => r.instance_id)).toEqual(IDS);
    expect(first.source).toBe(cachedFile());

    for (const name of ["SWE-bench/SWE-bench_Verified", "princeton-nlp/SWE-bench_Verified"]) {
      const again = await loadDataset({ source: name, cacheDir, fetch: online });
      expect(again.rows.map((r) => r.instance_id)).toEqual(IDS);
    }
    expect(online).toHaveBeenCalledTimes(1);
  });

  it("does not cache a response that is not a parquet file", async () => {
    const html = vi.fn(async () => new Response("<html>login</html>"));
    await expect(loadDataset({ source: "verified", cacheDir: path.join(dir, "cache"), fetch: html })).rejects.toBeInstanceOf(
      DatasetDownloadError,
    );
    const notFound = vi.fn(async () => new Response("no", { status: 404, statusText: "Not Found" }));
    await expect(loadDataset({ source: "verified", cacheDir: path.join(dir, "cache"), fetch: notFound })).rejects.toThrow(/HTTP 404/);
    expect(existsSync(cachedFile())).toBe(false);
  });

  it("knows Verified has only the test split", async () => {
    await expect(loadDataset({ source: "verified", split: "dev", cacheDir: dir, fetch: vi.fn() })).rejects.toBeInstanceOf(
      DatasetSourceError,
    );
  });
});

describe.skipIf(!hasShared)("loadDataset: the real SWE-bench Verified parquet", () => {
  it("gives 500 valid rows with the published per-repo counts", async () => {
    const loaded = await loadDataset({ source: VERIFIED_PARQUET });
    expect(loaded.rows).toHaveLength(500);
    const counts: Record<string, number> = {};
    for (const r of loaded.rows) counts[r.repo] = (counts[r.repo] ?? 0) + 1;
    expect(counts).toEqual({
      "django/django": 231,
      "sympy/sympy": 75,
      "sphinx-doc/sphinx": 44,
      "matplotlib/matplotlib": 34,
      "scikit-learn/scikit-learn": 32,
      "astropy/astropy": 22,
      "pydata/xarray": 22,
      "pytest-dev/pytest": 19,
      "pylint-dev/pylint": 10,
      "psf/requests": 8,
      "mwaskom/seaborn": 2,
      "pallets/flask": 1,
    });
    expect(loaded.rows.filter((r) => r.PASS_TO_PASS.length === 0)).toHaveLength(11);
  });

  it("reads it through a folder too (symlinked, not copied)", async () => {
    mkdirSync(path.join(dir, "verified"));
    symlinkSync(VERIFIED_PARQUET, path.join(dir, "verified", "test.parquet"));
    const loaded = await loadDataset({ source: path.join(dir, "verified"), instances: ["astropy__astropy-12907"] });
    expect(loaded.rows.map((r) => r.base_commit)).toEqual(["d16bfe05a744909de4b27f5875fe0d4ed41ce607"]);
    expect(loaded.datasetIds).toHaveLength(500);
  });
});

/**
 * A minimal parquet writer, enough for hyparquet to read test fixtures: one row group of
 * required UTF8 string columns, PLAIN encoded and uncompressed, metadata in Thrift's compact
 * protocol. (The project has no parquet writer dependency.)
 */
function writeParquet(rows: Record<string, string>[]): Uint8Array {
  const encoder = new TextEncoder();
  const columns = Object.keys(rows[0]!);
  const out: number[] = [...encoder.encode("PAR1")];
  const le32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];

  class Compact {
    readonly bytes: number[] = [];
    private readonly lastField: number[] = [0];
    private varint(n: bigint): void {
      for (; n >= 0x80n; n >>= 7n) this.bytes.push(Number(n & 0x7fn) | 0x80);
      this.bytes.push(Number(n));
    }
    private zigzag(n: number): void {
      this.varint(n >= 0 ? BigInt(n) * 2n : -BigInt(n) * 2n - 1n);
    }
    private binary(s: string): void {
      const b = encoder.encode(s);
      this.varint(BigInt(b.length));
      this.bytes.push(...b);
    }
    private header(id: number, type: number): void {
      this.bytes.push(((id - this.lastField.at(-1)!) << 4) | type);
      this.lastField[this.lastField.length - 1] = id;
    }
    private body(write: () => void): void {
      this.lastField.push(0);
      write();
      this.bytes.push(0);
      this.lastField.pop();
    }
    i32(id: number, n: number): this {
      this.header(id, 5);
      this.zigzag(n);
      return this;
    }
    i64(id: number, n: number): this {
      this.header(id, 6);
      this.zigzag(n);
      return this;
    }
    string(id: number, s: string): this {
      this.header(id, 8);
      this.binary(s);
      return this;
    }
    struct(id: number, write: () => void): this {
      this.header(id, 12);
      this.body(write);
      return this;
    }
    // Every list here has fewer than 15 elements, so its size fits the header byte.
    structs(id: number, writers: (() => void)[]): this {
      this.header(id, 9);
      this.bytes.push((writers.length << 4) | 12);
      for (const w of writers) this.body(w);
      return this;
    }
    i32s(id: number, values: number[]): this {
      this.header(id, 9);
      this.bytes.push((values.length << 4) | 5);
      for (const v of values) this.zigzag(v);
      return this;
    }
    strings(id: number, values: string[]): this {
      this.header(id, 9);
      this.bytes.push((values.length << 4) | 8);
      for (const v of values) this.binary(v);
      return this;
    }
    end(): number[] {
      this.bytes.push(0);
      return this.bytes;
    }
  }

  const BYTE_ARRAY = 6;
  const chunks = columns.map((column) => {
    const data = rows.flatMap((r) => {
      const b = [...encoder.encode(r[column]!)];
      return [...le32(b.length), ...b];
    });
    const page = new Compact().i32(1, 0).i32(2, data.length).i32(3, data.length);
    page.struct(5, () => page.i32(1, rows.length).i32(2, 0).i32(3, 3).i32(4, 3));
    const offset = out.length;
    out.push(...page.end(), ...data);
    return { column, offset, size: out.length - offset };
  });

  const meta = new Compact().i32(1, 1);
  meta.structs(2, [
    () => meta.string(4, "schema").i32(5, columns.length),
    ...columns.map((name) => () => meta.i32(1, BYTE_ARRAY).i32(3, 0).string(4, name).i32(6, 0)),
  ]);
  meta.i64(3, rows.length);
  meta.structs(4, [
    () => {
      meta.structs(
        1,
        chunks.map((c) => () => {
          meta.i64(2, c.offset);
          meta.struct(3, () => {
            meta.i32(1, BYTE_ARRAY).i32s(2, [0]).strings(3, [c.column]).i32(4, 0);
            meta.i64(5, rows.length).i64(6, c.size).i64(7, c.size).i64(9, c.offset);
          });
        }),
      );
      meta
        .i64(
          2,
          chunks.reduce((sum, c) => sum + c.size, 0),
        )
        .i64(3, rows.length);
    },
  ]);
  const footer = meta.end();
  out.push(...footer, ...le32(footer.length), ...encoder.encode("PAR1"));
  return new Uint8Array(out);
}
