import { render } from "ink";
import type { ApprovalMode } from "./approval.ts";
import { FixApp } from "./fix-app.tsx";
import { FixController } from "./fix-controller.ts";
import type { FixSession } from "./fix-session.ts";
import { themeFor } from "./theme.ts";

/** Runs the interactive UI on an open session until the user quits; returns the exit code. */
export async function runTui(session: FixSession, options: { approval: ApprovalMode; exportHint: string }): Promise<number> {
  await session.discoverModel();
  const controller = new FixController(session, options.approval, { exportHint: options.exportHint });
  // Ctrl-C is a key here (first stops, second quits); the terminal's SIGINT would skip cleanup.
  const app = render(<FixApp controller={controller} theme={themeFor()} network={session.record.network} />, {
    exitOnCtrlC: false,
    patchConsole: false,
  });
  controller.start();
  const code = await controller.done;
  app.unmount();
  await app.waitUntilExit().catch(() => undefined);
  process.stderr.write(
    `session ${session.record.session_id} saved (bottega fix --resume ${session.record.session_id}); ${options.exportHint}\n`,
  );
  return code;
}
