import { describe, expect, it } from "vitest";
import { RunConfig } from "../harness/run/run-config.ts";
import { CliUsageError } from "../src/shell/commands/cli-error.ts";
import { COMPARE_COMMAND } from "../src/shell/commands/compare-command.ts";
import { EVAL_COMMAND } from "../src/shell/commands/eval-command.ts";
import { EXPORT_COMMAND } from "../src/shell/commands/export-command.ts";
import { parseCommandFlags, type CommandSpec, type FlagSpec, type FlagTable } from "../src/shell/commands/flag-table.ts";
import { FIX_COMMAND } from "../src/shell/commands/fix-command.ts";
import { GRADE_COMMAND } from "../src/shell/commands/grade-command.ts";
import { IMAGES_COMMAND } from "../src/shell/commands/images-command.ts";
import { runConfigFromFlags } from "../src/shell/commands/run-config-from-flags.ts";
import { RUN_COMMAND } from "../src/shell/commands/run-command.ts";
import { EVAL_FLAGS } from "../src/shell/commands/run-flags.ts";
import { STATUS_COMMAND } from "../src/shell/commands/status-command.ts";
import { runCli } from "./support/cli.ts";

const COMMANDS: Record<string, CommandSpec<FlagTable>> = {
  eval: EVAL_COMMAND,
  run: RUN_COMMAND,
  grade: GRADE_COMMAND,
  status: STATUS_COMMAND,
  export: EXPORT_COMMAND,
  images: IMAGES_COMMAND,
  compare: COMPARE_COMMAND,
  fix: FIX_COMMAND,
};

const MODEL_URL = "http://127.0.0.1:9/v1";

function at(value: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], value);
}

/** The config field a flag's value ends up as. */
const fieldValue = (spec: FlagSpec, value: unknown) => (spec.toField ? spec.toField(value as never) : value);

/** What the help shows for one flag: its line and the indented lines under it. */
function helpOf(help: string, name: string): string {
  const start = help.search(new RegExp(`^  --${name}(?=[ \\n])`, "m"));
  if (start < 0) return "";
  const rest = help.slice(start + 2);
  const end = rest.search(/\n(?! {4})/);
  return end < 0 ? rest : rest.slice(0, end);
}

describe("--help", () => {
  it.each(Object.keys(COMMANDS))("bottega %s --help lists every declared flag with its default", async (name) => {
    const result = await runCli([name, "--help"], { timeoutMs: 60_000 });
    expect(result.code, result.stderr).toBe(0);
    for (const [flag, spec] of Object.entries(COMMANDS[name]!.flags)) {
      const shown = helpOf(result.stdout, flag).replace(/\s+/g, " ");
      expect(shown, `--${flag}`).not.toBe("");
      if (spec.defaultText !== undefined) expect(shown, `--${flag}`).toContain(`(default: ${spec.defaultText})`);
      else if (spec.kind === "boolean" && spec.default !== undefined)
        expect(shown, `--${flag}`).toContain(`(default ${spec.default ? "on" : "off"})`);
      else if (spec.default !== undefined) expect(shown, `--${flag}`).toContain(`(default ${spec.default})`);
    }
  });
});

describe("the defaults --help prints", () => {
  // Every field gets the schema's default: the flags' printed defaults must be those.
  const defaults = RunConfig.parse({ runId: "x", dataset: "d", model: {} });

  it.each(Object.entries(EVAL_FLAGS as FlagTable).filter(([, spec]) => spec.field !== undefined))(
    "--%s prints the config schema's default",
    (_flag, spec) => {
      const schemaDefault = at(defaults, spec.field!);
      if (spec.default !== undefined) expect(fieldValue(spec, spec.default)).toEqual(schemaDefault);
      // A field the schema fills must have its default shown, as a value or in words.
      else if (schemaDefault !== undefined) expect(spec.defaultText).toBeDefined();
    },
  );
});

describe("flag values reach the run config", () => {
  /** A valid value of each flag, different from its default where it has one. */
  function sample(flag: string, spec: FlagSpec): unknown {
    const choices = spec.placeholder?.includes("|") ? spec.placeholder.split("|") : undefined;
    if (choices) return choices.find((choice) => choice !== spec.default && choice !== "gold");
    switch (spec.kind) {
      case "boolean":
        return !(spec.default ?? false);
      case "integer":
        return 3;
      case "number":
        return 0.5;
      case "bytes":
        return 1024 * 1024;
      case "list":
        return ["a", "b"];
      case "json":
        return { a: 1 };
      case "strings":
        return [MODEL_URL];
      default:
        return spec.placeholder === "URL" ? MODEL_URL : `${flag}-value`;
    }
  }

  it.each(Object.entries(EVAL_FLAGS as FlagTable).filter(([, spec]) => spec.field !== undefined))("--%s sets its field", (flag, spec) => {
    const value = sample(flag, spec);
    const values = { dataset: "somewhere", [flag]: value };
    const config = runConfigFromFlags(values, flag === "predictions" ? { grade: true } : { grade: true, modelURL: MODEL_URL });
    const landed = at(config, spec.field!);
    const expected = fieldValue(spec, value);
    // Object flags merge into their field (--extra-body with --top-k): the given keys must be there.
    if (spec.kind === "json") expect(landed).toMatchObject(expected as object);
    else expect(landed).toEqual(expected);
  });
});

describe("usage errors name the flag", () => {
  const parse = (argv: string[]) => () => parseCommandFlags(argv, EVAL_COMMAND);
  const config = (argv: string[]) => () =>
    runConfigFromFlags(parseCommandFlags(argv, EVAL_COMMAND)!.values, { grade: true, modelURL: MODEL_URL });

  it.each([
    [["--workers", "many"], /^--workers: expected a number, got "many"/],
    [["--max-steps", "2.5"], /^--max-steps: expected a whole number, got "2.5"/],
    [["--temperature", ""], /^--temperature: expected a number/],
    [["--memory", "8q"], /^--memory: expected a size like 4g/],
    [["--extra-body", "[1]"], /^--extra-body: expected a JSON object, got \[1\]/],
    [["--chat-template-kwargs", "{"], /^--chat-template-kwargs: expected a JSON object/],
    [["--bogus"], /'--bogus'/],
    [["--workers"], /'--workers <value>' argument missing/],
    [["stray"], /unexpected argument "stray"/],
  ])("%j", (argv, message) => {
    expect(parse(argv)).toThrow(CliUsageError);
    expect(parse(argv)).toThrow(message);
  });

  it.each([
    [["--max-steps", "0"], /^--max-steps: /],
    [["--top-p", "2"], /^--top-p: /],
    [["--eval-script", "mine"], /^--eval-script: .*"generated"\|"dataset"/],
    [["--action-format", "yaml"], /^--action-format: /],
    [["--run-id", "a b"], /^--run-id: letters, digits/],
    [["--pids=0"], /^--pids: /],
    [
      ["--sandbox", "kubernetes", "--agent-network", "allowlist"],
      /^--agent-network: allowlist is not available on Kubernetes .*NetworkPolicy/,
    ],
  ])("%j is checked by the config schema", (argv, message) => {
    expect(config(argv)).toThrow(CliUsageError);
    expect(config(argv)).toThrow(message);
  });

  it("through the CLI: an unknown flag and a malformed value exit 2 naming the flag", async () => {
    const unknown = await runCli(["eval", "--no-such-flag"], { timeoutMs: 60_000 });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("--no-such-flag");
    const malformed = await runCli(["eval", "--predictions", "gold", "--workers", "lots"], { timeoutMs: 60_000 });
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('--workers: expected a number, got "lots"');
    const invalid = await runCli(["eval", "--predictions", "gold", "--grading", "v9"], { timeoutMs: 60_000 });
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/^bottega: --grading: /m);
    const missing = await runCli(["export"], { timeoutMs: 60_000 });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--run-id is required");
  });
});
