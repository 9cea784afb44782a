import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDataset } from "../../harness/dataset/dataset.ts";
import { PROJECT_ROOT, runCli } from "../support/cli.ts";
import { writeSyntheticRuns } from "../support/synthetic-runs.ts";

/**
 * compare.html opened in real headless Chromium (Debian's package): it renders without console
 * errors and without a single network request, its charts are there, a table sorts when its
 * header is clicked, and a screenshot is taken.
 */
const CHROMIUM = "/usr/bin/chromium";
const PARQUET = path.resolve(PROJECT_ROOT, "../shared/data/swe-bench-verified.parquet");
const ready = existsSync(CHROMIUM) && existsSync(PARQUET);
if (!existsSync(CHROMIUM)) console.warn(`SKIPPED compare-html.test.ts: ${CHROMIUM} is absent`);
else if (!existsSync(PARQUET)) console.warn(`SKIPPED compare-html.test.ts: ${PARQUET} is absent`);

let work: string;
let browser: Browser;

describe.skipIf(!ready)("compare.html in headless Chromium", () => {
  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), "bottega-compare-html-"));
    const ids = (await loadDataset({ source: PARQUET })).rows.map((row) => row.instance_id);
    const runs = writeSyntheticRuns({ resultsDir: path.join(work, "results"), dataset: PARQUET, ids, runs: 3, seed: 11 });
    const result = await runCli(["compare", ...runs, "--results", path.join(work, "results"), "--out", path.join(work, "out")]);
    expect(result.code, result.stderr).toBe(0);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
  });

  it("renders offline with its charts, sorts a table on a header click, and is captured", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") problems.push(message.text());
    });
    page.on("pageerror", (error) => problems.push(error.message));
    page.on("request", (request) => requests.push(request.url()));
    const file = path.join(work, "out", "compare.html");
    await page.goto(pathToFileURL(file).href, { waitUntil: "load" });

    expect(problems).toEqual([]);
    // The page itself is the only thing loaded: no stylesheet, script, font or image from anywhere.
    expect(requests).toEqual([pathToFileURL(file).href]);

    // The top of the page as it first renders: title, trend and difficulty charts.
    const shot = path.join(work, "out", "compare.png");
    await page.screenshot({ path: shot, fullPage: false });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    expect(readFileSync(shot).subarray(1, 4).toString()).toBe("PNG");
    console.log(`screenshot: ${shot}`);

    expect(await page.locator("svg.chart.trend circle.point").count()).toBe(3);
    expect(await page.locator("svg.chart.bars").count()).toBe(2);
    // 12 repositories × 3 runs of bars, 4 difficulties × 3.
    expect(await page.locator("svg.chart.bars rect.bar").count()).toBe(12 * 3 + 4 * 3);

    // Sort the all-instances table by its first run's column, then by instance id descending.
    const table = page.locator("table#instances");
    const firstColumn = () => table.locator("tbody tr td:first-child").allTextContents();
    const before = await firstColumn();
    expect(before).toHaveLength(500);
    expect(before).toEqual([...before].sort());
    const header = table.locator("th", { hasText: "instance" }).first();
    await header.click();
    await header.click();
    expect(await header.getAttribute("aria-sort")).toBe("descending");
    const after = await firstColumn();
    expect(after).toEqual([...before].reverse());
    // Numeric columns sort as numbers: the runs table by resolved count.
    const runsTable = page.locator("table#runs");
    await runsTable.locator("th", { hasText: /^resolved$/ }).click();
    const resolved = (await runsTable.locator("tbody tr td:nth-child(3)").allTextContents()).map(Number);
    expect(resolved).toEqual([...resolved].sort((a, b) => a - b));

    // Links point at the runs' files, relative to the report.
    const href = await page.locator("table#instances a", { hasText: "log" }).first().getAttribute("href");
    expect(existsSync(path.resolve(path.dirname(file), decodeURI(href!)))).toBe(true);

    await page.close();
  });
});
