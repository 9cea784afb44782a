import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { episodeConversation } from "../src/foundation/model/scripted/recorded-episodes.ts";
import { LABELS } from "../src/foundation/sandbox/owner.ts";
import { runCli } from "./support/cli.ts";
import { fixtureSuite } from "./support/fixture-suite.ts";
import { type KubeApiServer, startKubeApiServer } from "./support/kube-api/kube-api-server.ts";

/**
 * `bottega eval --sandbox kubernetes` end to end through the CLI against the test API server:
 * every episode and every grading is a pod (run as a real container from the fixture images),
 * commands and files go through the exec API. KUBECONFIG points at the server's kubeconfig.
 */
const suite = fixtureSuite("kubernetes-eval");
let server: KubeApiServer;

beforeAll(async () => {
  server = await startKubeApiServer();
}, 60_000);

afterAll(async () => {
  await server?.close();
}, 60_000);

const cli = (args: string[]) => runCli(args, { env: { KUBECONFIG: server.kubeconfigPath }, timeoutMs: 600_000 });
const podsOf = (runId: string) => server.registry.all().filter((pod) => pod.metadata.labels?.[LABELS.run] === runId);
const report = (runId: string) => JSON.parse(readFileSync(join(suite.results, runId, "report.json"), "utf8"));

describe("bottega eval --sandbox kubernetes", () => {
  it("grades the gold patches of every fixture in pods, and deletes them", async () => {
    const posts = server.requests.filter((r) => r.startsWith("POST")).length;
    const before = server.requests.length;
    const result = await cli([
      "eval",
      "--sandbox",
      "kubernetes",
      "--predictions",
      "gold",
      "--run-id",
      "k8s-gold",
      "--results",
      suite.results,
      "--workers",
      "3",
    ]);
    expect(result.code, result.stderr + result.stdout).toBe(0);
    const r = report("k8s-gold");
    expect(r.resolved_ids).toEqual(suite.ids());
    expect(r.error_ids).toEqual([]);
    // One grading pod per instance, every one made through this API server, none left behind.
    expect(server.requests.filter((r) => r.startsWith("POST")).length - posts).toBe(suite.ids().length);
    await expect.poll(() => podsOf("k8s-gold").length, { timeout: 20_000 }).toBe(0);
    console.log(`k8s-gold: ${server.requests.length - before} API requests for ${suite.ids().length} gradings`);
    const log = readFileSync(join(suite.results, "k8s-gold", "logs", suite.ids()[0]!, "test_output.txt"), "utf8");
    expect(log).toContain("+ : '>>>>> Start Test Output'");
  }, 600_000);

  it("runs the agent with a scripted model in pods and resolves every fixture", async () => {
    const posts = server.requests.filter((r) => r.startsWith("POST")).length;
    const execsBefore = server.requests.filter((r) => r.endsWith("/exec")).length;
    const requestsBefore = server.requests.length;
    const model = await suite.serve(suite.rows.map((row) => episodeConversation(suite.episode(row), row.problem_statement)));
    const result = await cli([
      "eval",
      "--sandbox",
      "kubernetes",
      "--model-url",
      model.url,
      "--run-id",
      "k8s-agent",
      "--results",
      suite.results,
      "--workers",
      "3",
    ]);
    expect(result.code, result.stderr + result.stdout).toBe(0);
    const r = report("k8s-agent");
    expect(r.resolved_ids).toEqual(suite.ids());
    // An agent pod and a grading pod per instance, all deleted; commands went through exec.
    // (More when an infrastructure failure made the harness retry an instance in a new pod.)
    expect(server.requests.filter((r) => r.startsWith("POST")).length - posts).toBeGreaterThanOrEqual(2 * suite.ids().length);
    await expect.poll(() => podsOf("k8s-agent").length, { timeout: 20_000 }).toBe(0);
    const execs = server.requests.filter((r) => r.endsWith("/exec")).length - execsBefore;
    expect(execs).toBeGreaterThan(suite.ids().length * 4);
    console.log(
      `k8s-agent: ${execs} exec calls and ${server.requests.length - requestsBefore} API requests for ${suite.ids().length} instances`,
    );
  }, 900_000);

  it("refuses a bad pod template as a usage error naming the file and the field, before any pod", async () => {
    const file = join(suite.results, "bad-template.yaml");
    writeFileSync(file, "spec:\n  tolerations: { key: gpu }\n");
    const posts = server.requests.filter((r) => r.startsWith("POST")).length;
    const result = await cli([
      "eval",
      "--sandbox",
      "kubernetes",
      "--pod-template",
      file,
      "--predictions",
      "gold",
      "--run-id",
      "k8s-bad",
      "--results",
      suite.results,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`--pod-template ${file}: field spec.tolerations`);
    expect(server.requests.filter((r) => r.startsWith("POST")).length).toBe(posts);
  }, 120_000);
});
