// Drain over the control channel, driven by the real CLI: new requests stop going to the drained
// server while a slow request already on it completes; enable brings it back.

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
  writeConfig,
} from "./harness.ts";

let p: Proc | undefined;
let backends: Backend[] = [];
let tmp: ReturnType<typeof tempDir>;
let port = 0;
let control = "";

beforeAll(async () => {
  tmp = tempDir();
  backends = [backend("b1", 1000), backend("b2", 1000)];
  port = freePort();
  control = `unix:${tmp.dir}/control.sock`;
  p = await startServe(writeConfig(tmp.dir, configText({ port, control, backends, checkInterval: "5s" })));
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

async function one(path: string): Promise<{ status: number; backend: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { connection: "close" } });
  return { status: r.status, backend: (await r.text()).trim() };
}

test("drain keeps the in-flight slow request, stops new ones; enable restores", async () => {
  const [b1, b2] = backends as [Backend, Backend];
  // Find which backend the next request lands on: rr alternates, so send slow requests until b1 has one.
  let slow: Promise<{ status: number; backend: string }> | undefined;
  for (let i = 0; i < 4 && !slow; i++) {
    const before = b1.slowStarted;
    const started = b1.slowStarted + b2.slowStarted;
    const req = one("/slow");
    const deadline = Date.now() + 2000;
    while (Date.now() < deadline && b1.slowStarted + b2.slowStarted === started) await Bun.sleep(5);
    if (b1.slowStarted > before) slow = req;
    else await req;
  }
  expect(slow).toBeDefined();

  const drained = await runTcpvs(["status", "drain", "app", "b1", "--control", control]);
  expect(drained.code).toBe(0);
  const s = await statusJson(control);
  const sv = s.pools[0]!.servers.find((x) => x.name === "b1")!;
  expect(sv.drained).toBe(true);
  expect(sv.active_connections).toBe(1);

  const b1Before = b1.hits;
  const during = await Promise.all(Array.from({ length: 6 }, () => one("/fast")));
  expect(during.every((r) => r.status === 200 && r.backend === "b2")).toBe(true);
  expect(b1.hits).toBe(b1Before);

  const done = await slow!;
  expect(done).toEqual({ status: 200, backend: "b1" });

  expect((await runTcpvs(["status", "enable", "app", "b1", "--control", control])).code).toBe(0);
  const after = await Promise.all(Array.from({ length: 4 }, () => one("/fast")));
  expect(after.filter((r) => r.backend === "b1").length).toBeGreaterThan(0);
  expect(after.every((r) => r.status === 200)).toBe(true);
}, 30_000);

test("drain of an unknown server is refused with exit 1 and a clear message", async () => {
  const r = await runTcpvs(["status", "drain", "app", "nope", "--control", control]);
  expect(r.code).toBe(1);
  expect(r.err).toContain('"nope"');
}, 15_000);

test("check runs the server's checks now (exit 0 up, 1 down); weight sets the dynamic weight", async () => {
  const up = await runTcpvs(["status", "check", "app", "b1", "--json", "--control", control]);
  expect(up.code).toBe(0);
  expect(JSON.parse(up.out)).toMatchObject({ ok: true });

  const w = await runTcpvs(["status", "weight", "app", "b1", "7", "--control", control]);
  expect(w.code).toBe(0);
  const s = await runTcpvs(["status", "server", "app", "b1", "--json", "--control", control]);
  expect(JSON.parse(s.out)).toMatchObject({ dynamic_weight: 7, weight: 7 });

  backends[1]!.stop();
  const down = await runTcpvs(["status", "check", "app", "b2", "--json", "--control", control]);
  expect(down.code).toBe(1);
  expect(JSON.parse(down.out)).toMatchObject({ ok: false });
  expect(JSON.parse(down.out).check.reason).toMatch(/refused|connect/i);
}, 20_000);
