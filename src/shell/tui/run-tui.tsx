import type { ApprovalMode } from "./approval.ts";
import type { FixSession } from "./fix-session.ts";

export async function runTui(_session: FixSession, _options: { approval: ApprovalMode; exportHint: string }): Promise<number> {
  throw new Error("the interactive UI is not built yet: use --headless");
}
