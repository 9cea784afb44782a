import { readFileSync } from "node:fs";
import { z } from "zod";
import { renderJinja } from "./jinja.ts";

/**
 * The words the agent says to the model, as data, under SWE-agent's names (`agent.templates`):
 * Jinja templates, so a SWE-agent config's templates work as written. The bundled
 * configurations (configs/*.yaml) fill them; `--templates FILE` (JSON) overrides single ones.
 * Variables: system/instance: working_dir, problem_statement, command_docs, repo and the
 * configuration's env_variables; next-step templates: observation, max_observation_length,
 * elided_chars, working_dir.
 */
export const Templates = z.object({
  system_template: z.string(),
  instance_template: z.string(),
  next_step_template: z.string(),
  /** An observation that is empty (after strip). */
  next_step_no_output_template: z.string(),
  /** An observation longer than max_observation_length characters. */
  next_step_truncated_observation_template: z.string(),
  max_observation_length: z.number().int().positive(),
  /** The message sent back when a reply holds no usable action; default: the action format's own (FORMAT_ERROR_TEMPLATES). */
  format_error_template: z.string().nullable().default(null),
});
export type Templates = z.infer<typeof Templates>;

/** The keys of format 1 of a --templates file, and their SWE-agent names. */
const OLD_KEYS: Record<string, keyof Templates> = {
  system: "system_template",
  instance: "instance_template",
  observation: "next_step_template",
  emptyObservation: "next_step_no_output_template",
};

/** A JSON file's templates, to override the configuration's; a bad file names the field. */
export function loadTemplates(path?: string): Partial<Templates> {
  if (!path) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`${path}: not a readable JSON file of templates (${(error as Error).message})`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error(`${path}: expected a JSON object of templates`);
  const renamed = Object.fromEntries(Object.entries(raw).map(([key, value]) => [OLD_KEYS[key] ?? key, value]));
  const parsed = Templates.partial().strict().safeParse(renamed);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.code === "unrecognized_keys" ? issue.keys.join(", ") : issue.path.join(".");
    throw new Error(`${path}: field "${field}": ${issue.message} (the fields are ${Object.keys(Templates.shape).join(", ")})`);
  }
  return parsed.data;
}

/**
 * The observation as SWE-agent's add_step_to_history picks its template: empty (after strip) →
 * the no-output template; longer than max_observation_length characters → the truncated one
 * (with elided_chars); else the next-step template.
 */
export function renderObservation(observation: string, templates: Templates, values: Record<string, unknown> = {}): string {
  const length = [...observation].length;
  const max = templates.max_observation_length;
  const scope = { ...values, observation, max_observation_length: max, elided_chars: Math.max(0, length - max) };
  if (observation.trim() === "") return renderJinja(templates.next_step_no_output_template, scope, "next_step_no_output_template");
  if (length > max)
    return renderJinja(templates.next_step_truncated_observation_template, scope, "next_step_truncated_observation_template");
  return renderJinja(templates.next_step_template, scope, "next_step_template");
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
