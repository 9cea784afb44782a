import type { BundleSet } from "./bundles/bundle-set.ts";
import { toolParameters, type ArgumentSchema, type ToolSpec } from "./tool-schema.ts";

/**
 * How tools are documented inside the prompt (XML and text modes, where no `tools` field is
 * sent): SWE-agent's `{{command_docs}}` layout, and the function list of SWE-smith's XML system
 * prompt. The facts come from the tools' own declarations, or, when a SWE-agent checkout is at
 * hand, from its bundles' config.yaml, so their wording is SWE-agent's own.
 */
export interface CommandDoc {
  name: string;
  docstring: string;
  signature: string | null;
  arguments: Array<{ name: string; type: string; description: string; required: boolean; enum: string[] | null }>;
}

export function commandDocsOfTools(tools: readonly ToolSpec[]): CommandDoc[] {
  return tools.map((tool) => {
    const { properties, required } = toolParameters(tool);
    return {
      name: tool.name,
      docstring: tool.description,
      signature: tool.name === "bash" ? "<command>" : null,
      arguments: Object.entries(properties).map(([name, schema]: [string, ArgumentSchema]) => ({
        name,
        type: schema.type,
        description: schema.description ?? "",
        required: required.includes(name),
        enum: schema.enum?.map(String) ?? null,
      })),
    };
  });
}

/** The bundles' own docs, for the tools they define; the other tools keep theirs. */
export function withBundleDocs(docs: CommandDoc[], set: BundleSet): CommandDoc[] {
  const byName = new Map(set.commands.map((command) => [command.name, command]));
  return docs.map((doc) => {
    const command = byName.get(doc.name);
    if (command === undefined) return doc;
    return {
      name: command.name,
      docstring: command.docstring ?? "",
      signature: command.signature,
      arguments: command.arguments.map((argument) => ({
        name: argument.name,
        type: argument.type,
        description: argument.description,
        required: argument.required,
        enum: argument.enum ?? null,
      })),
    };
  });
}

/** SWE-agent's generate_command_docs: per command its docstring, signature and arguments, a blank line after each. */
export function renderCommandDocs(docs: readonly CommandDoc[]): string {
  let out = "";
  for (const doc of docs) {
    const required = doc.arguments.filter((a) => a.required).map((a) => `<${a.name}>`);
    const optional = doc.arguments.filter((a) => !a.required).map((a) => `[<${a.name}>]`);
    const signature = doc.signature ?? [doc.name, ...required, ...optional].join(" ");
    out += `${doc.name}:\n  docstring: ${doc.docstring}\n  signature: ${signature}\n`;
    if (doc.arguments.length > 0) {
      out += "  arguments:\n";
      for (const a of doc.arguments) out += `    - ${a.name} (${a.type}) [${a.required ? "required" : "optional"}]: ${a.description}\n`;
    }
    out += "\n";
  }
  return out;
}

/**
 * The function list of SWE-smith's XML system prompt (reference §3.3): numbered BEGIN/END
 * blocks, the docstring after `Description: `, numbered parameters, an unindented
 * `Allowed values:` line after an enum parameter.
 */
export function renderXmlFunctionDocs(docs: readonly CommandDoc[]): string {
  return docs
    .map((doc, i) => {
      const lines = [`---- BEGIN FUNCTION #${i + 1}: ${doc.name} ----`, `Description: ${doc.docstring.replace(/\n+$/, "")}`];
      if (doc.arguments.length === 0) {
        lines.push("No parameters are required for this function.");
      } else {
        lines.push("", "Parameters:");
        doc.arguments.forEach((a, j) => {
          lines.push(`  (${j + 1}) ${a.name} (${a.type}, ${a.required ? "required" : "optional"}): ${a.description}`);
          if (a.enum) lines.push(`Allowed values: [${a.enum.map((v) => `\`${v}\``).join(", ")}]`);
        });
      }
      lines.push(`---- END FUNCTION #${i + 1} ----`);
      return lines.join("\n");
    })
    .join("\n\n");
}

/** How to write a call, after the function list (reference §3.5's layout, Bottega's words). */
export const XML_CALL_FORMAT = `If you choose to call a function, reply ONLY in the format below, with NO text after it:

Explain here, in plain words, why you are making this call
<function=example_function_name>
<parameter=example_parameter_1>value_1</parameter>
<parameter=example_parameter_2>
This value
can take up
several lines
</parameter>
</function>

<IMPORTANT>
Reminder:
- A function call MUST follow this format: it begins with <function= and ends with </function>
- Every required parameter MUST be given
- Make only one function call per reply
- Give your reasoning in plain words BEFORE the call, never after it
</IMPORTANT>`;
