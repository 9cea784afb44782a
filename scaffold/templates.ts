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

/**
 * What the model is told when its reply holds no usable action, per action format (SWE-agent's
 * `tools.format_error_template`, Jinja). Variables: error_code (missing, multiple, invalid_json,
 * unknown_tool, missing_arg, unexpected_arg, invalid_arg, truncated), exception_message (the
 * reason), exception_sentence (the same ending in a full stop), has_submit, tool_names, tool_usage (the called tool's arguments, one per line, or
 * ""), usage (its text-mode signature), action_example (text mode's response layout).
 */
export const FORMAT_ERROR_TEMPLATES = {
  tools: `{% if error_code == "missing" -%}
Your last output did not use any tool calls!
Please make sure your output includes exactly _ONE_ function call!
You must invoke the function directly using the function call format.
You cannot invoke commands with \`\`\`, you have to use the function call format.
{% if has_submit -%}
If you think you have already resolved the issue, please submit your changes by running the \`submit\` command.
If you think you cannot solve the problem, please run \`submit\`.
Else, please continue with a new tool call!
{% else -%}
Please continue with a new tool call!
{% endif -%}
{% elif error_code == "multiple" -%}
Your last output included multiple tool calls!
Please make sure your output includes a thought and exactly _ONE_ function call.
{{exception_message}}
{% elif error_code == "truncated" -%}
Your last output was cut off: it reached the output token limit (finish_reason=length) before it contained a complete tool call, so nothing was run.
Respond more concisely: keep your reasoning short and end with exactly one tool call.
{% elif error_code == "unexpected_arg" -%}
Your action could not be parsed properly: {{exception_sentence}}
Make sure your function call doesn't include any extra arguments that are not in the allowed arguments, and only use the allowed commands.
{{tool_usage}}
{%- else -%}
Your action could not be parsed properly: {{exception_sentence}}
{{tool_usage}}
{%- endif -%}
Call exactly one tool per response with the function call format: the tool's name and a JSON object of its arguments. Available tools: {{tool_names}}.`,
  text: `{% if error_code == "missing" -%}
Your output was not formatted correctly. You must always include one discussion and one command as part of your response. Make sure you do not have multiple discussion/command tags.
{{exception_message}}
Please make sure your output precisely matches the following format:
{{action_example}}
{% elif error_code == "truncated" -%}
Your last output was cut off: it reached the output token limit (finish_reason=length) before it contained a complete command block, so nothing was run.
Respond more concisely: keep your discussion short and end with exactly one command in a \`\`\` block.
{% else -%}
Your action could not be parsed properly: {{exception_sentence}}
{% if usage %}Usage: {{usage}}
{% endif %}{{tool_usage}}
{%- endif -%}
End your response with exactly one \`\`\` block holding one command. Available commands: {{tool_names}}.{% if "bash" in tool_names %} A block that does not start with one of them is run in bash.{% endif %}`,
  // SWE-agent's XML parser never sets an error code, so every error takes this one line.
  xml: "Your action could not be parsed properly: {{exception_message}}.\n\n",
} as const;
