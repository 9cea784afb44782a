import { z } from "zod";
import { ActionFormat } from "./actions/action.ts";
import { HistoryProcessor } from "./history-processors.ts";
import { Templates } from "./templates.ts";

/**
 * Everything that decides what the model sees and what the agent may do. A configuration file
 * (configs/*.yaml, or a SWE-agent config given with --config) fills it; flags override single
 * values. Recorded whole in run.json and in every trajectory.
 */
export const AgentConfig = z.object({
  /** The configuration these values came from: a bundled name (davinci-dev, tools) or a file. */
  configuration: z.string(),
  /** xml: SWE-agent's XML function calls in the text; tools: native function calling; text: fenced blocks. */
  actionFormat: ActionFormat,
  /**
   * temporary: a failed reply and its error are shown once and dropped when a valid reply comes
   * (SWE-agent's requery). kept: they stay in the history, which stays append-only (mini-swe-agent).
   */
  formatErrorTurns: z.enum(["temporary", "kept"]),
  /** Model calls per episode, failed replies included (SWE-agent's per_instance_call_limit). */
  stepLimit: z.number().int().positive(),
  wallTimeSec: z.number().positive(),
  /** Seconds per tool command (SWE-agent's execution_timeout). */
  commandTimeoutSec: z.number().positive(),
  maxConsecutiveTimeouts: z.number().int().positive(),
  /** Failed replies in a row before the episode ends exit_format (SWE-agent's max_requeries). */
  maxFormatErrors: z.number().int().positive(),
  templates: Templates,
  historyProcessors: z.array(HistoryProcessor),
  /** Exported in the shell before the first step (SWE-agent's tools.env_variables). */
  envVariables: z.record(z.string(), z.string()),
  /** Send the system prompt as a user message (SWE-agent's model.convert_system_to_user). */
  convertSystemToUser: z.boolean(),
  xml: z.object({
    /** Look for the call outside <think> blocks (SWE-agent runs a complete call written inside them). */
    skipThink: z.boolean(),
    /** Accept view_range [start, -1] (SWE-agent's parser rejects it although the editor's docs offer it). */
    viewRangeToEnd: z.boolean(),
  }),
  /**
   * What submit's review step shows (SWE-agent's registry_variables.SUBMIT_REVIEW_MESSAGES[0],
   * `{{diff}}` replaced by the diff); null: Bottega's own checklist. Used when the review is on.
   */
  reviewMessage: z.string().nullable().default(null),
  /**
   * The SWE-agent checkout and bundle paths the configuration named: what a front end that runs
   * the bundles themselves in the container needs. Bottega's own tools stand in for the known ones.
   */
  bundles: z.object({ checkout: z.string().nullable(), paths: z.array(z.string()) }),
});
export type AgentConfig = z.infer<typeof AgentConfig>;
export type AgentConfigInput = z.input<typeof AgentConfig>;
