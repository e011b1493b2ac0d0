// Reload on a running daemon: a broken file is refused (SIGHUP logs why, `status reload` returns the
// errors and exit 1) while traffic carries on; a good file adds a rule and a pool without dropping an
// established keep-alive connection, opens a new listener and closes a removed one.

import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  type Backend,
  backend,
  configText,
  type ConfigOptions,
  exitWithin,
  freePort,
  KeepAlive,
  killIfRunning,
  type Proc,
  runTcpvs,
  spawnTcpvs,
  startServe,
  statusJson,
  steadyLoad,
  tempDir,
  waitLine,
  writeConfig,
} from "./harness.ts";

let p: Proc | undefined;
let backends: Backend[] = [];
let extra: Backend;
let tmp: ReturnType<typeof tempDir>;
let file = "";
let base: ConfigOptions;
const BROKEN = `\n[pool.broken]\nscheduler = "no-such-scheduler"\n`;

beforeAll(async () => {
  tmp = tempDir();
  backends = [backend("b1"), backend("b2")];
  extra = backend("static1");
  base = {
    port: freePort(),
    control: `unix:${tmp.dir}/control.sock`,
    backends,
    checkInterval: "5s",
  };
  file = writeConfig(tmp.dir, configText(base));
  p = await startServe(file);
});

afterAll(async () => {
  if (p) {
    p.proc.kill("SIGTERM");
    await exitWithin(p, 8000);
  }
  killIfRunning(p);
  for (const b of [...backends, extra]) b.stop();
  tmp.cleanup();
});

test("SIGHUP with a broken file logs its errors and traffic carries on without a failure", async () => {
  const load = steadyLoad(`http://127.0.0.1:${base.port}/`);
  await Bun.sleep(200);
  writeConfig(tmp.dir, configText(base) + BROKEN);
  const from = p!.lines.length;
  p!.proc.kill("SIGHUP");
  await waitLine(p!, /reload refused/, 5000, from);
  expect(p!.lines.slice(from).join("\n")).toContain("no-such-scheduler");
  await Bun.sleep(300);
  await load.stop();
  expect(load.errors).toEqual([]);
  expect(load.ok).toBeGreaterThan(5);
  expect(p!.proc.exitCode).toBeNull();
}, 20_000);

test("SIGHUP with a TOML syntax error logs what config check prints: message and FILE:LINE:COLUMN", async () => {
  writeConfig(tmp.dir, `${configText(base)}\n[pool.oops\nscheduler = "rr"\n`);
  const check = await runTcpvs(["config", "check", "-c", file]);
  expect(check.code).toBe(2);
  const said = check.err.split("\n")[0]!.replace(/^tcpvs: /, "");
  expect(said).toStartWith(`Cannot parse ${file}:`);
  expect(said.slice(`Cannot parse ${file}`.length)).toMatch(/^:\d+:\d+: syntax error: /);
  const from = p!.lines.length;
  p!.proc.kill("SIGHUP");
  const at = await waitLine(p!, /reload refused/, 5000, from);
  expect(p!.lines[at]).toContain(said);
  // The source frame config check prints under it is kept too.
  expect(p!.lines[at]).toContain("[pool.oops");
  const ok = await fetch(`http://127.0.0.1:${base.port}/`);
  expect(ok.status).toBe(200);
  await ok.text();
}, 20_000);

test("status reload with a broken file returns the errors to the caller, exit 1", async () => {
  writeConfig(tmp.dir, configText(base) + BROKEN);
  const r = await runTcpvs(["status", "reload", "--control", base.control]);
  expect(r.code).toBe(1);
  expect(r.out).toContain("reload refused");
  expect(r.out).toContain("no-such-scheduler");
  const ok = await fetch(`http://127.0.0.1:${base.port}/`);
  expect(ok.status).toBe(200);
  await ok.text();
}, 20_000);

test("a good file adds a rule and a pool, keeps keep-alive connections, opens and closes listeners", async () => {
  const ka = await KeepAlive.open(base.port);
  const first = await ka.get("/static/a");
  expect(first.status).toBe(200);
  expect(["b1\n", "b2\n"]).toContain(first.body);

  // Step 1: a new rule and pool, and a second virtual server on a new port.
  const port2 = freePort();
  const addPool = `
[pool.static]
scheduler = "rr"
  [[pool.static.server]]
  name = "static1"
  address = "${extra.address}"

[[virtual_server]]
name = "second"
listen = ["127.0.0.1:${port2}"]
mode = "http"
pool = "static"
`;
  const rule = `
  [[virtual_server.rule]]
  path_prefix = "/static/"
  pool = "static"
`;
  writeConfig(tmp.dir, configText({ ...base, vsExtra: rule, extra: addPool }));
  const r = await runTcpvs(["status", "reload", "--control", base.control]);
  expect(r.code).toBe(0);
  expect(r.out).toContain("reloaded");

  // The established connection still works and now follows the new rule.
  const second = await ka.get("/static/b");
  expect(second).toEqual({ status: 200, body: "static1\n" });
  const other = await ka.get("/dynamic");
  expect(["b1\n", "b2\n"]).toContain(other.body);
  // The new listener accepts.
  const viaNew = await fetch(`http://127.0.0.1:${port2}/`);
  expect(await viaNew.text()).toBe("static1\n");
  const s = await statusJson(base.control);
  expect(s.pools.map((x) => x.name).sort()).toEqual(["app", "static"]);
  expect(s.virtual_servers.map((l) => l.name).sort()).toEqual(["second", "web"]);

  // Step 2: remove the second virtual server: its port stops accepting, the first keeps serving.
  writeConfig(tmp.dir, configText({ ...base, vsExtra: rule, extra: addPool.split("[[virtual_server]]")[0] }));
  expect((await runTcpvs(["status", "reload", "--control", base.control])).code).toBe(0);
  let refused = false;
  try {
    const res = await fetch(`http://127.0.0.1:${port2}/`, { headers: { connection: "close" } });
    await res.text();
  } catch {
    refused = true;
  }
  expect(refused).toBe(true);
  expect((await ka.get("/static/c")).body).toBe("static1\n");
  ka.close();
}, 30_000);

test("watchers see exactly one reload event per reload, by signal or by the control channel", async () => {
  writeConfig(tmp.dir, configText(base));
  const w = spawnTcpvs(["status", "--watch", "--json", "--control", base.control]);
  try {
    await waitLine(w, /"type":"snapshot"/, 5000);
    const from = w.lines.length;
    expect((await runTcpvs(["status", "reload", "--control", base.control])).code).toBe(0);
    p!.proc.kill("SIGHUP");
    await waitLine(p!, /config reloaded/, 5000, p!.lines.length - 1);
    await Bun.sleep(300);
    const reloads = w.lines
      .slice(from)
      .map((l) => JSON.parse(l) as { type: string; event?: { type: string; ok?: boolean } })
      .filter((l) => l.type === "event" && l.event!.type === "reload")
      .map((l) => l.event);
    expect(reloads).toEqual([expect.objectContaining({ ok: true }), expect.objectContaining({ ok: true })]);
  } finally {
    killIfRunning(w);
  }
}, 20_000);

test("a server added to a running pool takes traffic; the others keep their counters", async () => {
  writeConfig(tmp.dir, configText(base));
  expect((await runTcpvs(["status", "reload", "--control", base.control])).code).toBe(0);
  for (let i = 0; i < 4; i++) await (await fetch(`http://127.0.0.1:${base.port}/`)).text();
  const before = await statusJson(base.control);
  const count = (s: typeof before, id: string) =>
    s.pools.find((x) => x.name === "app")!.servers.find((x) => x.name === id)?.requests_total;
  const b3 = backend("b3");
  try {
    writeConfig(tmp.dir, configText({ ...base, backends: [...backends, b3] }));
    expect((await runTcpvs(["status", "reload", "--control", base.control])).code).toBe(0);
    const mid = await statusJson(base.control);
    expect(count(mid, "b1")).toBe(count(before, "b1")!);
    expect(count(mid, "b2")).toBe(count(before, "b2")!);
    expect(count(mid, "b3")).toBe(0);
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add(await (await fetch(`http://127.0.0.1:${base.port}/`)).text());
    expect(seen.has("b3\n")).toBe(true);
    expect(b3.hits).toBeGreaterThan(0);
  } finally {
    writeConfig(tmp.dir, configText(base));
    await runTcpvs(["status", "reload", "--control", base.control]);
    b3.stop();
  }
}, 20_000);

test("a drained server stays drained across a reload that rebuilds its pool's scheduler", async () => {
  const b3 = backend("b3");
  try {
    expect((await runTcpvs(["status", "drain", "app", "b1", "--control", base.control])).code).toBe(0);
    writeConfig(tmp.dir, configText({ ...base, backends: [...backends, b3] }));
    expect((await runTcpvs(["status", "reload", "--control", base.control])).code).toBe(0);
    const s = await statusJson(base.control);
    expect(s.pools.find((x) => x.name === "app")!.servers.find((x) => x.name === "b1")!.drained).toBe(true);
    const hits = backends[0]!.hits;
    for (let i = 0; i < 6; i++) await (await fetch(`http://127.0.0.1:${base.port}/`)).text();
    expect(backends[0]!.hits).toBe(hits);
  } finally {
    await runTcpvs(["status", "enable", "app", "b1", "--control", base.control]);
    writeConfig(tmp.dir, configText(base));
    await runTcpvs(["status", "reload", "--control", base.control]);
    b3.stop();
  }
}, 20_000);

test("a new listener on a taken port refuses the reload before anything changes; existing ones keep serving", async () => {
  const taken = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  try {
    const extraVs = `
[pool.other]
scheduler = "rr"
  [[pool.other.server]]
  name = "o1"
  address = "${extra.address}"

[[virtual_server]]
name = "second"
listen = ["127.0.0.1:${taken.port}"]
mode = "http"
pool = "other"
`;
    writeConfig(tmp.dir, configText({ ...base, extra: extraVs }));
    const r = await runTcpvs(["status", "reload", "--control", base.control]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`127.0.0.1:${taken.port}`);
    expect(r.out).toContain("in use");
    const s = await statusJson(base.control);
    expect(s.pools.map((x) => x.name)).toEqual(["app"]);
    expect(s.virtual_servers.map((l) => l.name)).toEqual(["web"]);

    // The running virtual server gaining a taken address: refused, and it keeps serving throughout.
    const text = configText(base).replace(
      `listen = ["127.0.0.1:${base.port}"]`,
      `listen = ["127.0.0.1:${base.port}", "127.0.0.1:${taken.port}"]`,
    );
    writeConfig(tmp.dir, text);
    expect((await runTcpvs(["status", "reload", "--control", base.control])).code).toBe(1);
    const res = await fetch(`http://127.0.0.1:${base.port}/`, { headers: { connection: "close" } });
    expect(res.status).toBe(200);
    await res.text();
  } finally {
    taken.stop(true);
    writeConfig(tmp.dir, configText(base));
  }
}, 20_000);

test("a reload that changes only a pool's scheduler applies the new scheduler", async () => {
  const bodies = async (n: number) => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = await fetch(`http://127.0.0.1:${base.port}/`, { headers: { connection: "close" } });
      out.push(await r.text());
    }
    return out;
  };
  writeConfig(tmp.dir, configText(base));
  expect((await runTcpvs(["status", "reload", "--control", base.control])).code).toBe(0);
  expect(new Set(await bodies(4)).size).toBe(2);
  // Same servers, source hashing: every request from 127.0.0.1 lands on one server.
  writeConfig(tmp.dir, configText(base).replace('scheduler = "rr"', 'scheduler = "sh"'));
  try {
    expect((await runTcpvs(["status", "reload", "--control", base.control])).code).toBe(0);
    expect(new Set(await bodies(6)).size).toBe(1);
  } finally {
    writeConfig(tmp.dir, configText(base));
    await runTcpvs(["status", "reload", "--control", base.control]);
  }
}, 20_000);
