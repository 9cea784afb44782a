/**
 * The fix TUI after a long session: the recorded fixture episodes' actions, cycled to 100 steps,
 * each with a long observation (400 lines), replayed at full speed through the real FixApp and
 * ink renderer into an 80×24 terminal stream. Then keys are typed and the time from each key
 * written to stdin until the frame holding it is written to stdout is measured. Baseline, in the
 * same run: the same measurement after 1 step. Also ink's frame time and this process's RSS.
 *
 *   CI=0 npx tsx test/bench/fix-tui.ts [steps=100] [keys=200]
 *
 * (CI=true makes ink draw nothing until exit, so the bench refuses to run under it.)
 */
import { EventEmitter } from "node:events";
import { setTimeout as delay } from "node:timers/promises";
import { render } from "ink";
import isInCi from "is-in-ci";
import { loadRecordedEpisodes } from "../../src/foundation/model/scripted/recorded-episodes.ts";
import { FIXTURES_DIR } from "../../harness/images/fixture-repo.ts";
import { FixApp } from "../../src/shell/tui/fix-app.tsx";
import { FixController } from "../../src/shell/tui/fix-controller.ts";
import { themeFor } from "../../src/shell/tui/theme.ts";
import { ReplaySession, type ReplayStep } from "../support/replay-session.ts";
import { createElement } from "react";
import { join } from "node:path";

if (isInCi) {
  console.error("CI is set: ink would not draw; run with CI=0");
  process.exit(2);
}
const steps = Number(process.argv[2] ?? 100);
const keys = Number(process.argv[3] ?? 200);

const actions = loadRecordedEpisodes(join(FIXTURES_DIR, "episodes")).flatMap((episode) => episode.actions);
const observation = (n: number) =>
  Array.from(
    { length: 400 },
    (_, i) => `tests/test_${n}.py::test_case_${i} PASSED ${"·".repeat(40)} [${Math.round((i / 400) * 100)}%]`,
  ).join("\n");
const recorded = (count: number): ReplayStep[] =>
  Array.from({ length: count }, (_, i) => {
    const action = actions[i % actions.length]!;
    return {
      thought: `${action.thought} ${"I will look at this carefully before changing anything. ".repeat(4)}`,
      tool: action.call.name,
      args: action.call.arguments,
      output: observation(i),
    };
  });

class TerminalOut extends EventEmitter {
  readonly isTTY = true;
  columns = 80;
  rows = 24;
  writes: Array<{ at: number; text: string }> = [];
  write(text: string): boolean {
    this.writes.push({ at: performance.now(), text });
    return true;
  }
}
class TerminalIn extends EventEmitter {
  readonly isTTY = true;
  private data: string | null = null;
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read = () => {
    const data = this.data;
    this.data = null;
    return data;
  };
  type(text: string) {
    this.data = text;
    this.emit("readable");
  }
}

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;

async function measure(stepCount: number) {
  const stdout = new TerminalOut();
  const stdin = new TerminalIn();
  const session = new ReplaySession(recorded(stepCount), { stepLimit: steps, chunk: 8 });
  const controller = new FixController(session, "full-auto", { exportHint: "", streamFrameMs: 16 });
  const frames: number[] = [];
  const app = render(createElement(FixApp, { controller, theme: themeFor(), network: "none" }), {
    stdout: stdout as never,
    stdin: stdin as never,
    stderr: stdout as never,
    exitOnCtrlC: false,
    patchConsole: false,
    // The same options as run-tui.tsx (ink 6.8's incrementalRendering repeats a full-width last row in tmux).
    onRender: ({ renderTime }) => frames.push(renderTime),
  });
  const replayStarted = performance.now();
  await controller.submit("fix the bug");
  while (controller.state.phase !== "finished") {
    stdout.writes = [];
    await delay(5);
  }
  const replayMs = performance.now() - replayStarted;
  await delay(200);
  frames.length = 0;

  const latencies: number[] = [];
  let typed = "";
  for (let i = 0; i < keys; i++) {
    const char = String.fromCharCode(97 + (i % 26));
    typed += char;
    const tail = typed.slice(-12);
    stdout.writes = [];
    const from = 0;
    const sent = performance.now();
    stdin.type(char);
    for (;;) {
      const hit = stdout.writes.slice(from).find((w) => w.text.includes(tail));
      if (hit) {
        latencies.push(hit.at - sent);
        break;
      }
      await delay(0);
      if (performance.now() - sent > 2000)
        throw new Error(
          `key ${i} never reached the screen: ${JSON.stringify(tail)} not in ${JSON.stringify(stdout.writes.slice(-3).map((w) => w.text))}`,
        );
    }
    if (typed.length >= 60) {
      // Clear the line the way a user would (backspaces), so the input stays one row.
      for (let k = 0; k < typed.length; k++) stdin.type("\u007f");
      typed = "";
      await delay(40);
    }
    await delay(35); // a fast typist; also lets ink's 30 fps throttle settle
  }
  const rss = process.memoryUsage().rss;
  app.unmount();
  return {
    steps: controller.state.step,
    replayMs,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    frameP50: percentile(frames, 50),
    frameP95: percentile(frames, 95),
    rss,
  };
}

const baseline = await measure(1);
const long = await measure(steps);
const ms = (n: number) => `${n.toFixed(1)} ms`;
console.log(`fix TUI, ${keys} keys typed at 80×24 after a replayed session (CI=0 npx tsx test/bench/fix-tui.ts ${steps} ${keys})`);
console.log(`                         after step 1      after step ${long.steps}    ratio`);
console.log(`key → screen p50         ${ms(baseline.p50).padEnd(16)}  ${ms(long.p50).padEnd(16)} ${(long.p50 / baseline.p50).toFixed(2)}`);
console.log(`key → screen p95         ${ms(baseline.p95).padEnd(16)}  ${ms(long.p95).padEnd(16)} ${(long.p95 / baseline.p95).toFixed(2)}`);
console.log(
  `frame (ink render) p50   ${ms(baseline.frameP50).padEnd(16)}  ${ms(long.frameP50).padEnd(16)} ${(long.frameP50 / Math.max(0.01, baseline.frameP50)).toFixed(2)}`,
);
console.log(
  `frame (ink render) p95   ${ms(baseline.frameP95).padEnd(16)}  ${ms(long.frameP95).padEnd(16)} ${(long.frameP95 / Math.max(0.01, baseline.frameP95)).toFixed(2)}`,
);
console.log(`RSS                      ${(baseline.rss / 2 ** 20).toFixed(0)} MB${" ".repeat(13)}${(long.rss / 2 ** 20).toFixed(0)} MB`);
console.log(
  `replay of ${long.steps} steps at full speed: ${(long.replayMs / 1000).toFixed(1)} s (${(long.replayMs / long.steps).toFixed(1)} ms per step)`,
);
console.log(
  `goal: key → screen p95 < 50 ms at step ${steps}: ${long.p95 < 50 ? "met" : "NOT met"}; RSS < 300 MB: ${long.rss < 300 * 2 ** 20 ? "met" : "NOT met"}`,
);
process.exit(0);
