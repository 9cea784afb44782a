import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PredictionsError, UnknownPredictionIdsError, loadPredictions } from "../harness/dataset/predictions.ts";
import { TaskRow } from "../harness/dataset/task-row.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "bottega-preds-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, content: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

const rows = ["acme__w-1", "acme__w-2", "acme__w-3"].map((id) =>
  TaskRow.parse({
    repo: "acme/w",
    instance_id: id,
    base_commit: "c".repeat(40),
    patch: `gold patch of ${id}\n`,
    test_patch: "",
    problem_statement: "",
    version: "1.0",
    FAIL_TO_PASS: "[]",
    PASS_TO_PASS: "[]",
  }),
);

const pred = (id: string, patch: string | null = `diff for ${id}\n`, model = "org/model-7b") => ({
  instance_id: id,
  model_name_or_path: model,
  model_patch: patch,
});
const jsonl = (items: unknown[]) => items.map((i) => JSON.stringify(i)).join("\n") + "\n";

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error)) throw new Error("expected the promise to reject");
  return error;
}

describe("loadPredictions: file formats", () => {
  it("reads .jsonl, keyed by instance_id, extra keys kept", async () => {
    const file = write("preds.jsonl", jsonl([{ ...pred("acme__w-1"), cost: 0.1 }, pred("acme__w-2")]));
    const predictions = await loadPredictions(file, rows);
    expect([...predictions.keys()]).toEqual(["acme__w-1", "acme__w-2"]);
    expect(predictions.get("acme__w-1")).toMatchObject({
      model_patch: "diff for acme__w-1\n",
      model_name_or_path: "org/model-7b",
      cost: 0.1,
    });
  });

  it("reads a .json list and a .json id → prediction map (only the values count)", async () => {
    const list = write("list.json", JSON.stringify([pred("acme__w-1"), pred("acme__w-3")]));
    expect([...(await loadPredictions(list, rows)).keys()]).toEqual(["acme__w-1", "acme__w-3"]);
    const map = write("map.json", JSON.stringify({ "some-key": pred("acme__w-2") }));
    expect([...(await loadPredictions(map, rows)).keys()]).toEqual(["acme__w-2"]);
  });

  it("refuses other extensions and other JSON shapes with the official messages", async () => {
    const txt = write("preds.txt", jsonl([pred("acme__w-1")]));
    expect((await failure(loadPredictions(txt, rows))).message).toContain("Predictions path must be .json or .jsonl");
    const scalar = write("scalar.json", "42");
    expect((await failure(loadPredictions(scalar, rows))).message).toContain(
      "Predictions must be a list[prediction] or a dictionary[instance_id: prediction]",
    );
    await expect(loadPredictions(path.join(dir, "missing.jsonl"), rows)).rejects.toBeInstanceOf(PredictionsError);
  });

  it("makes gold predictions from the rows' own patches", async () => {
    const gold = await loadPredictions("gold", rows.slice(1));
    expect([...gold.values()]).toEqual([
      { instance_id: "acme__w-2", model_name_or_path: "gold", model_patch: "gold patch of acme__w-2\n" },
      { instance_id: "acme__w-3", model_name_or_path: "gold", model_patch: "gold patch of acme__w-3\n" },
    ]);
  });
});

describe("loadPredictions: entries", () => {
  it("names the file and line of an element that is not an object or lacks instance_id", async () => {
    const file = write("preds.jsonl", jsonl([pred("acme__w-1"), ["acme__w-2"]]));
    const error = await failure(loadPredictions(file, rows));
    expect(error).toBeInstanceOf(PredictionsError);
    expect(error).toMatchObject({ file, location: "line 2" });
    expect(error.message).toContain("Each prediction must be a dictionary, got a list");

    const noId = write("noid.json", JSON.stringify([pred("acme__w-1"), { model_patch: "x", model_name_or_path: "m" }]));
    const missing = await failure(loadPredictions(noId, rows));
    expect(missing).toMatchObject({ file: noId, location: "index 1" });
    expect(missing.message).toContain("Each prediction must contain 'instance_id'");
  });

  it("names the field of a badly typed entry", async () => {
    const file = write("preds.json", JSON.stringify({ a: pred("acme__w-1"), b: { ...pred("acme__w-2"), model_patch: 7 } }));
    const error = await failure(loadPredictions(file, rows));
    expect(error).toMatchObject({ file, location: 'key "b"', field: "model_patch" });
    expect(error.message).toContain(file);
  });

  it("requires the model_patch key, but accepts null or empty patches", async () => {
    const { model_patch: _, ...noPatch } = pred("acme__w-2");
    const missing = await failure(loadPredictions(write("a.jsonl", jsonl([noPatch])), rows));
    expect(missing).toMatchObject({ location: "line 1", field: "model_patch" });

    const file = write("b.jsonl", jsonl([pred("acme__w-1", null), pred("acme__w-2", "")]));
    const predictions = await loadPredictions(file, rows);
    expect(predictions.get("acme__w-1")!.model_patch).toBeNull();
    expect(predictions.get("acme__w-2")!.model_patch).toBe("");
  });

  it('names a run without model_name_or_path "None", as the official harness does', async () => {
    const file = write("preds.jsonl", jsonl([{ instance_id: "acme__w-1", model_patch: "x" }]));
    expect((await loadPredictions(file, rows)).get("acme__w-1")!.model_name_or_path).toBe("None");
  });

  it("lets a later duplicate win", async () => {
    const file = write("preds.jsonl", jsonl([pred("acme__w-1", "first"), pred("acme__w-2"), pred("acme__w-1", "second")]));
    const predictions = await loadPredictions(file, rows);
    expect(predictions.size).toBe(2);
    expect(predictions.get("acme__w-1")!.model_patch).toBe("second");
  });

  it("refuses prediction ids outside the dataset with the official error text and the ids", async () => {
    const file = write("preds.jsonl", jsonl([pred("acme__w-1"), pred("other__x-5"), pred("other__x-6")]));
    const error = await failure(loadPredictions(file, rows));
    expect(error).toBeInstanceOf(UnknownPredictionIdsError);
    expect(error.message).toContain("Some prediction IDs not found in dataset!");
    expect(error.message).toContain(`${file}: 2 predictions name instances the dataset does not have: other__x-5, other__x-6`);
    expect((error as UnknownPredictionIdsError).instanceIds).toEqual(["other__x-5", "other__x-6"]);
  });

  it("checks ids against the whole dataset when the rows are a filtered subset", async () => {
    const file = write("preds.jsonl", jsonl([pred("acme__w-1"), pred("acme__w-3")]));
    const subset = rows.slice(0, 1);
    await expect(loadPredictions(file, subset)).rejects.toBeInstanceOf(UnknownPredictionIdsError);
    const predictions = await loadPredictions(file, subset, { datasetIds: rows.map((r) => r.instance_id) });
    expect(predictions.size).toBe(2);
  });
});
