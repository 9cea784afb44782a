import { readFileSync } from "node:fs";
import { z } from "zod";

/**
 * The words the agent says to the model, as data. The defaults keep SWE-agent's framing
 * (`<uploaded_files>`, `<pr_description>`, the explore → reproduce → fix → verify → edge cases
 * workflow, "OBSERVATION:" replies), which is what SWE-agent-trained models such as daVinci-Dev
 * saw. A JSON file can replace any of them (`--templates`), e.g. to run with a model's exact
 * training prompt. Placeholders: {{working_dir}}, {{problem_statement}}, {{observation}},
 * {{tool_docs}}.
 */
export const Templates = z.object({
  system: z.string(),
  /** Appended to the system message in text mode, where tools are documented in the prompt. */
  textModeSystemSuffix: z.string(),
  instance: z.string(),
  observation: z.string(),
  emptyObservation: z.string(),
  /** Replaces the middle of an observation that is too long for the context. */
  clipped: z.string(),
});
export type Templates = z.infer<typeof Templates>;

export const DEFAULT_TEMPLATES: Templates = {
  system: "You are a helpful assistant who solves tasks by working on a computer through the tools you are given.",
  textModeSystemSuffix: [
    "",
    "",
    "You can use these tools:",
    "",
    "{{tool_docs}}",
  ].join("\n"),
  instance: [
    "<uploaded_files>",
    "{{working_dir}}",
    "</uploaded_files>",
    "A Python code repository has been uploaded to the directory {{working_dir}}. Here is a PR description:",
    "",
    "<pr_description>",
    "{{problem_statement}}",
    "</pr_description>",
    "",
    "Please make the changes to the repository that the <pr_description> asks for.",
    "The test files the <pr_description> refers to have already been updated, so you do NOT need to change any tests or any testing logic.",
    "Make the smallest change to the non-test files in {{working_dir}} that satisfies the <pr_description>.",
    "A good way to go about it:",
    "1. First, find and read the code that the <pr_description> is about",
    "2. Write a script that reproduces the problem and run it with `python <filename.py>` through the bash tool, to see the error",
    "3. Change the source code of the repository to fix the problem",
    "4. Run your script again and check that the error is gone",
    "5. Think about edge cases and make sure your fix handles them too",
    "Think it through carefully; a long line of reasoning is fine.",
  ].join("\n"),
  observation: "OBSERVATION:\n{{observation}}",
  emptyObservation: "Your command ran successfully and did not produce any output.",
  clipped: "\n<response clipped: {{elided}} characters elided; use head, tail or grep to see the part you need>\n",
};

/** Fills {{name}} placeholders; an unknown placeholder is left as is. */
export function render(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (match, name: string) => (name in values ? String(values[name]) : match));
}

/** Defaults overridden by a JSON file's fields; a bad file names the field. */
export function loadTemplates(path?: string): Templates {
  if (!path) return DEFAULT_TEMPLATES;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`${path}: not a readable JSON file of templates (${(error as Error).message})`);
  }
  const parsed = Templates.partial().strict().safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${path}: field "${issue.path.join(".")}": ${issue.message}`);
  }
  return { ...DEFAULT_TEMPLATES, ...parsed.data };
}

/** Head and tail of a long observation, with a note of what was left out. */
export function clipObservation(text: string, maxChars: number, templates: Templates): string {
  if (text.length <= maxChars) return text;
  const half = Math.floor(maxChars / 2);
  const elided = text.length - 2 * half;
  return text.slice(0, half) + render(templates.clipped, { elided }) + text.slice(text.length - half);
}
