import { z } from "zod";
import { isEdit } from "./action-summary.ts";

/** Codex's approval modes: what runs without asking. */
export const ApprovalMode = z.enum(["suggest", "auto-edit", "full-auto"]);
export type ApprovalMode = z.infer<typeof ApprovalMode>;

export const APPROVAL_MODES = ApprovalMode.options;

/**
 * suggest: every action asks (reading included: the person watching decides what the agent
 * sees); auto-edit: file views and edits run, commands ask; full-auto: nothing asks.
 */
export function needsApproval(mode: ApprovalMode, tool: string, args: Record<string, unknown>): boolean {
  switch (mode) {
    case "full-auto":
      return false;
    case "auto-edit":
      return tool !== "submit" && !(tool === "str_replace_editor" && (isEdit(tool, args) || args.command === "view"));
    case "suggest":
      return true;
  }
}

/** The next mode, for the key that cycles through them. */
export function nextMode(mode: ApprovalMode): ApprovalMode {
  return APPROVAL_MODES[(APPROVAL_MODES.indexOf(mode) + 1) % APPROVAL_MODES.length]!;
}
