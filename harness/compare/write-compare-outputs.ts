import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../../src/foundation/store/atomic-file.ts";
import type { CompareReport } from "./compare-report.ts";
import { htmlReport } from "./html-report.ts";
import { markdownReport } from "./markdown-report.ts";

export const OUTPUT_FILES = { json: "compare.json", markdown: "compare.md", html: "compare.html" } as const;

/** Writes compare.json, compare.md and compare.html into the folder; returns their paths. */
export async function writeCompareOutputs(outDir: string, report: CompareReport): Promise<Record<keyof typeof OUTPUT_FILES, string>> {
  await mkdir(outDir, { recursive: true });
  const paths = {
    json: join(outDir, OUTPUT_FILES.json),
    markdown: join(outDir, OUTPUT_FILES.markdown),
    html: join(outDir, OUTPUT_FILES.html),
  };
  await writeFileAtomic(paths.json, JSON.stringify(report, null, 1) + "\n");
  await writeFileAtomic(paths.markdown, markdownReport(report));
  await writeFileAtomic(paths.html, htmlReport(report));
  return paths;
}
