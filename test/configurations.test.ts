import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify as stringifyYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { commandDocsOfTools, renderCommandDocs, renderXmlFunctionDocs } from "../scaffold/command-docs.ts";
import { ConfigFileError, configurationFrom, loadConfiguration } from "../scaffold/config/swe-agent-config.ts";
import { processHistory } from "../scaffold/history-processors.ts";
import { renderJinja } from "../scaffold/jinja.ts";
import { profileTools } from "../scaffold/profiles.ts";
import { renderObservation } from "../scaffold/templates.ts";
import { PROJECT_ROOT } from "./support/cli.ts";

const tools = profileTools("swe-agent", { commandTimeoutMs: 1000, startCommit: "HEAD", reviewOnSubmit: false });

describe("the bundled configurations", () => {
  it("davinci-dev: SWE-smith's inference values (reference §1, §4.1)", () => {
    const c = loadConfiguration("davinci-dev");
    expect(c.agent).toMatchObject({
      configuration: "davinci-dev",
      actionFormat: "xml",
      formatErrorTurns: "temporary",
      stepLimit: 75,
      commandTimeoutSec: 300,
      maxFormatErrors: 3,
      historyProcessors: [{ type: "last_n_observations", n: 5, polling: 1 }],
      envVariables: { USE_FILEMAP: "true" },
      xml: { skipThink: false, viewRangeToEnd: false },
    });
    expect(c.agent.templates.max_observation_length).toBe(70000);
    expect(c.agent.templates.next_step_template).toBe("OBSERVATION:\n{{observation}}");
    expect(c.reviewOnSubmit).toBe(false);
    expect(c.sampling).toEqual({ temperature: 0, topP: 1, maxTokens: null, seed: null });
    // SWE-smith's layout: 63 lines, the three functions in its order, the call-format block last.
    const system = c.agent.templates.system_template;
    expect(system.split("\n")).toHaveLength(63);
    expect(system.match(/^---- (BEGIN|END) FUNCTION #\d(: \w+)? ----$/gm)).toHaveLength(6);
    expect(system).toContain("Allowed values: [`view`, `create`, `str_replace`, `insert`, `undo_edit`]");
    expect(system.endsWith("</IMPORTANT>")).toBe(true);
    // The instance template has the 19-line layout.
    expect(c.agent.templates.instance_template.split("\n")).toHaveLength(19);
  });

  it("tools: today's native-call setup, one flag away", () => {
    const c = loadConfiguration("tools");
    expect(c.agent).toMatchObject({
      actionFormat: "tools",
      formatErrorTurns: "kept",
      stepLimit: 100,
      historyProcessors: [{ type: "default" }],
    });
    expect(c.reviewOnSubmit).toBe(true);
    expect(c.sampling).toEqual({ temperature: 0, topP: 1, maxTokens: 4096, seed: 0 });
  });
});

describe("SWE-agent config files", () => {
  const base = () => ({
    agent: {
      templates: {
        system_template: "sys {{command_docs}}",
        instance_template: "{{problem_statement}}",
        next_step_template: "Obs: {{observation}}",
      },
      tools: {
        bundles: [{ path: "tools/registry" }, { path: "tools/edit_anthropic" }, { path: "tools/review_on_submit_m" }],
        parse_function: { type: "xml_function_calling" },
      },
      model: { name: "x", completion_kwargs: { max_tokens: 512, top_k: 20 } },
    },
  });

  it("maps templates, bundles, parse_function, limits and sampling; SWE-agent's defaults where keys are left out", () => {
    const c = configurationFrom(base(), "f.yaml", "f.yaml");
    expect(c.agent.actionFormat).toBe("xml");
    expect(c.agent.commandTimeoutSec).toBe(30);
    expect(c.agent.templates.next_step_no_output_template).toBe("Obs: {{observation}}");
    expect(c.agent.templates.max_observation_length).toBe(100000);
    expect(c.agent.historyProcessors).toEqual([{ type: "default" }]);
    expect(c.reviewOnSubmit).toBe(true);
    expect(c.sampling).toMatchObject({ maxTokens: 512, seed: null });
    expect(c.extraBody).toEqual({ top_k: 20 });
    expect(c.agent.bundles).toEqual({ checkout: null, paths: ["tools/registry", "tools/edit_anthropic", "tools/review_on_submit_m"] });
    const withMessage = base() as { agent: { tools: Record<string, unknown> } };
    withMessage.agent.tools.registry_variables = { SUBMIT_REVIEW_MESSAGES: ["Check this:\n<diff>\n{{diff}}\n</diff>\n"] };
    expect(configurationFrom(withMessage, "f.yaml", "f.yaml").agent.reviewMessage).toBe("Check this:\n<diff>\n{{diff}}\n</diff>\n");
  });

  it("names an unsupported key; lenient turns it into a warning; keys SWE-agent ignores are ignored with a warning", () => {
    const withFilter = base() as ReturnType<typeof base> & { agent: { tools: Record<string, unknown> } };
    (withFilter.agent.tools as Record<string, unknown>).str_replace_editor = { arguments: [] };
    expect(configurationFrom(withFilter, "f.yaml", "f.yaml").warnings.join()).toContain("agent.tools.str_replace_editor");
    const bad = { ...base(), agent: { ...base().agent, action_sampler: { type: "ask_colleagues" } } };
    expect(() => configurationFrom(bad, "f.yaml", "f.yaml")).toThrow(ConfigFileError);
    expect(() => configurationFrom(bad, "f.yaml", "f.yaml")).toThrow(/f\.yaml: agent\.action_sampler/);
    const processors = { ...base(), agent: { ...base().agent, history_processors: [{ type: "closed_window" }] } };
    expect(() => configurationFrom(processors, "f.yaml", "f.yaml")).toThrow(/agent\.history_processors\.0/);
    const windowed = base();
    windowed.agent.tools.bundles.push({ path: "tools/windowed" });
    expect(() => configurationFrom(windowed, "f.yaml", "f.yaml")).toThrow(/tools\/windowed: no Bottega tool/);
    const lenient = configurationFrom(windowed, "f.yaml", "f.yaml", { lenient: true });
    expect(lenient.warnings.join()).toContain("tools/windowed");
    expect(configurationFrom(bad, "f.yaml", "f.yaml", { lenient: true }).warnings.join()).toContain("agent.action_sampler");
  });

  it("reads the tools' docs from the SWE-agent checkout the file sits in", () => {
    const root = mkdtempSync(join(tmpdir(), "bottega-checkout-"));
    mkdirSync(join(root, "config"));
    for (const bundle of ["registry", "edit_anthropic", "submit"]) mkdirSync(join(root, "tools", bundle), { recursive: true });
    writeFileSync(join(root, "tools", "registry", "config.yaml"), "tools: {}\n");
    writeFileSync(
      join(root, "tools", "submit", "config.yaml"),
      stringifyYaml({ tools: { submit: { signature: "submit", docstring: "their submit words", arguments: [] } } }),
    );
    writeFileSync(
      join(root, "tools", "edit_anthropic", "config.yaml"),
      stringifyYaml({
        tools: {
          str_replace_editor: {
            signature: "str_replace_editor <command> <path>",
            docstring: "their editor words",
            arguments: [{ name: "command", type: "string", description: "their command words", required: true }],
          },
        },
      }),
    );
    const file = join(root, "config", "mine.yaml");
    const yaml = base();
    yaml.agent.tools.bundles = [{ path: "tools/registry" }, { path: "tools/edit_anthropic" }, { path: "tools/submit" }];
    writeFileSync(file, stringifyYaml(yaml));
    const c = loadConfiguration(file);
    expect(c.agent.bundles.checkout).toBe(root);
    expect(c.reviewOnSubmit).toBe(false);
  });
});

describe("templates, docs and history processing", () => {
  it("renders Jinja as SWE-agent's templates use it", () => {
    expect(
      renderJinja("{{a[:3]}}|{{ b | join(' ') }}|{% if c == \"x\" %}yes{% else %}no{% endif %}|{{missing}}\n", {
        a: "abcdef",
        b: [1, 2],
        c: "x",
      }),
    ).toBe("abc|1 2|yes|");
    expect(renderJinja("{%- if not e -%}\n  empty\n{%- endif %}", { e: "" })).toBe("empty");
    expect(() => renderJinja("{% macro m() %}{% endmacro %}", {}, "t")).toThrow(/template t: unsupported statement/);
  });

  it("picks the observation template as SWE-agent does", () => {
    const c = loadConfiguration("davinci-dev").agent.templates;
    expect(renderObservation("  \n", c)).toBe("Your command ran successfully and did not produce any output.");
    expect(renderObservation("hi\n", c)).toBe("OBSERVATION:\nhi\n");
    const long = renderObservation("x".repeat(70_010), c);
    expect(long.startsWith(`Observation: ${"x".repeat(70_000)}<response clipped><NOTE>`)).toBe(true);
    expect(long).toContain("10 characters");
  });

  it("documents tools in SWE-agent's command_docs layout and SWE-smith's function list", () => {
    const docs = commandDocsOfTools(tools);
    expect(renderCommandDocs(docs)).toMatch(
      /^bash:\n {2}docstring: runs the given command directly in bash\n {2}signature: <command>\n {2}arguments:\n {4}- command \(string\) \[required\]: /,
    );
    const xml = renderXmlFunctionDocs(docs);
    expect(xml).toMatch(/^---- BEGIN FUNCTION #1: bash ----\nDescription: /);
    expect(xml).toContain(
      "---- BEGIN FUNCTION #3: submit ----\nDescription: submits the current file changes as the solution to the task\nNo parameters are required for this function.\n---- END FUNCTION #3 ----",
    );
    expect(xml).toContain("Allowed values: [`view`, `create`, `str_replace`, `insert`, `undo_edit`]");
  });

  it("last_n_observations keeps the task and the last n observations (polling moves the cut in jumps)", () => {
    const history = [
      { role: "system", content: "s" },
      { role: "user", content: "task" },
      ...[1, 2, 3, 4].flatMap((i) => [
        { role: "assistant", content: `a${i}` },
        { role: "user", content: `OBSERVATION:\no${i}\nline` },
      ]),
    ].map((message) => ({ message: message as never, observation: message.role === "user" }));
    const out = processHistory(history, [
      { type: "last_n_observations", n: 2, polling: 1, always_remove_output_for_tags: [], always_keep_output_for_tags: [] },
    ]);
    expect(out.map((m) => m.content)).toEqual([
      "s",
      "task",
      "a1",
      "Old environment output: (3 lines omitted)",
      "a2",
      "Old environment output: (3 lines omitted)",
      "a3",
      "OBSERVATION:\no3\nline",
      "a4",
      "OBSERVATION:\no4\nline",
    ]);
    const polled = processHistory(history, [
      { type: "last_n_observations", n: 2, polling: 3, always_remove_output_for_tags: [], always_keep_output_for_tags: [] },
    ]);
    expect(polled.filter((m) => String(m.content).startsWith("Old")).length).toBe(0); // 5 observations: floor(5/3)*3 - 2 = 1 → nothing
  });

  it("the configs folder holds SWE-agent YAML files", () => {
    expect(readFileSync(join(PROJECT_ROOT, "configs", "davinci-dev.yaml"), "utf8")).toContain(
      "parse_function:\n      type: xml_function_calling",
    );
  });
});
