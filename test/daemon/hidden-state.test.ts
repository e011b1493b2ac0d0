// State an operator set and may forget is shown, in the table and in the JSON: a weight set by hand, a
// drain and how long it has lasted, a change in the file that waits for a restart. `status reload` says
// what it did not apply and exits 1 then; the log says what a reload changed, in one line.

import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  type Backend,
  backend,
  configText,
  exitWithin,
  freePort,
  killIfRunning,
  type Proc,
  runTcpvs,
  startServe,
  statusJson,
  tempDir,
  waitLine,
  writeConfig,
} from "./harness.ts";

let p: Proc | undefined;
let backends: Backend[] = [];
let tmp: ReturnType<typeof tempDir>;
let port = 0;
let control = "";
let file = "";

beforeAll(async () => {
  tmp = tempDir();
  backends = [backend("b1"), backend("b2"), backend("b3")];
  port = freePort();
  control = `unix:${tmp.dir}/control.sock`;
  file = writeConfig(
    tmp.dir,
    configText({ port, control, backends: backends.slice(0, 2), checkInterval: "5s" }),
  );
  p = await startServe(file);
});

afterAll(async () => {
  if (p) {
    p.proc.kill("SIGTERM");
    await exitWithin(p, 8000);
  }
  killIfRunning(p);
  for (const b of backends) b.stop();
  tmp.cleanup();
});

test("a weight set by hand and a drain show in the JSON and the table, with their age", async () => {
  expect((await runTcpvs(["status", "weight", "app", "b2", "7", "--control", control])).code).toBe(0);
  const drain = await runTcpvs(["status", "drain", "app", "b1", "--control", control, "--json"]);
  expect(drain.code).toBe(0);
  expect(JSON.parse(drain.out)).toMatchObject({ ok: true, action: "drain", state: "drained", weight: 0 });
  const s = (await statusJson(control)) as unknown as {
    pools: Array<{ servers: Array<Record<string, unknown>> }>;
  };
  const [b1, b2] = s.pools[0]!.servers;
  expect(b1).toMatchObject({ name: "b1", state: "drained", drained: true });
  expect(typeof b1!.drained_at_ms).toBe("number");
  expect(b2).toMatchObject({ name: "b2", weight: 7, config_weight: 1, weight_source: "operator" });
  expect(typeof b2!.weight_set_at_ms).toBe("number");
  const table = await runTcpvs(["status", "--control", control]);
  expect(table.out).toMatch(/b1\s+\S+\s+drained \d+s\s+0\/1/);
  expect(table.out).toMatch(/b2\s+\S+\s+up\s+7\/1\*/);
  expect(table.out).toContain("* set by an operator");
  const one = await runTcpvs(["status", "server", "app", "b2", "--control", control]);
  expect(one.out).toMatch(/app\/b2 up weight=7, weight set by an operator \d+s ago \(config 1\)/);
});

test("a reload that leaves a restart-only change pending says so and exits 1; the log names the changes", async () => {
  const metricsPort = freePort();
  writeConfig(tmp.dir, configText({ port, control, backends, checkInterval: "5s", metricsPort }));
  const from = p!.lines.length;
  const r = await runTcpvs(["status", "reload", "--control", control]);
  expect(r.code).toBe(1);
  expect(r.out).toContain("reloaded, but these settings wait for a restart: metrics");
  // The rest of the file did apply: the new server is there.
  const s = await statusJson(control);
  expect(s.pools[0]!.servers.map((x) => x.name)).toEqual(["b1", "b2", "b3"]);
  expect((s as unknown as { pending_restart: string[] }).pending_restart).toEqual(["metrics"]);
  expect((await runTcpvs(["status", "--control", control])).out).toContain(
    "restart pending: metrics changed in the file, not applied",
  );
  await waitLine(p!, /config reloaded: servers app\/b3 added/, 5000, from);
  await waitLine(p!, /these settings wait for a restart: metrics/, 5000, from);
  const json = await runTcpvs(["status", "reload", "--control", control, "--json"]);
  expect(json.code).toBe(1);
  expect(JSON.parse(json.out)).toMatchObject({ ok: false, applied: true, pending_restart: ["metrics"] });
});

test("SIGHUP logs that the signal came, then what the reload changed", async () => {
  writeConfig(tmp.dir, configText({ port, control, backends: backends.slice(1), checkInterval: "5s" }));
  const from = p!.lines.length;
  p!.proc.kill("SIGHUP");
  await waitLine(p!, /signal received signal=SIGHUP action=reload/, 5000, from);
  await waitLine(p!, /config reloaded: servers app\/b1 removed/, 5000, from);
  // Back to the file the process started with: nothing waits for a restart any more.
  expect(((await statusJson(control)) as unknown as { pending_restart: string[] }).pending_restart).toEqual(
    [],
  );
});
