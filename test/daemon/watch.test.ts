// `tcpvs status --watch` against a real daemon, as processes: --json sends a snapshot first, then a
// stats line every second whose rates follow the traffic, events as they happen; a restart of the
// daemon is a `disconnected` line, then `reconnected` and a new snapshot, and the watch goes on.

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
  spawnTcpvs,
  startServe,
  statusJson,
  tempDir,
  waitLine,
  writeConfig,
} from "./harness.ts";

let p: Proc | undefined;
let w: Proc | undefined;
let backends: Backend[] = [];
let tmp: ReturnType<typeof tempDir>;
let port = 0;
let control = "";
let file = "";

beforeAll(async () => {
  tmp = tempDir();
  backends = [backend("b1"), backend("b2")];
  port = freePort();
  control = `unix:${tmp.dir}/control.sock`;
  file = writeConfig(tmp.dir, configText({ port, control, backends, checkInterval: "5s" }));
  p = await startServe(file);
});

afterAll(async () => {
  for (const x of [w, p]) {
    if (!x) continue;
    x.proc.kill("SIGTERM");
    await exitWithin(x, 8000);
    killIfRunning(x);
  }
  for (const b of backends) b.stop();
  tmp.cleanup();
});

type Line = { type: string; [k: string]: unknown };

function jsonLines(x: Proc, from = 0): Line[] {
  return x.lines
    .slice(from)
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Line);
}

test("--watch --json: snapshot first, ticking rates, events, and a reconnect after a restart", async () => {
  w = spawnTcpvs(["status", "--watch", "--json", "--control", control]);
  await waitLine(w, /"type":"snapshot"/, 10_000);
  expect(jsonLines(w)[0]!.type).toBe("snapshot");
  // Ten requests within a tick or two: some stats line shows them as a rate, on the virtual server and
  // on the servers, and the header's uptime moves although nothing else happened.
  await waitLine(w, /"type":"stats"/, 5000);
  for (let i = 0; i < 10; i++) await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: "close" } });
  await waitLine(w, /"type":"stats".*"requests_per_second":[1-9]/, 5000);
  const stats = jsonLines(w).filter((l) => l.type === "stats") as unknown as Array<{
    interval_ms: number;
    virtual_servers: Array<{ name: string; requests_per_second: number }>;
    servers: Array<{ server: string; requests_per_second: number }>;
  }>;
  const busy = stats.filter((s) => s.virtual_servers[0]!.requests_per_second > 0);
  const total = busy.reduce(
    (n, s) => n + (s.virtual_servers[0]!.requests_per_second * s.interval_ms) / 1000,
    0,
  );
  expect(Math.round(total)).toBe(10);
  expect(busy.some((s) => s.servers.every((x) => x.requests_per_second > 0))).toBe(true);
  expect(stats.every((s) => s.interval_ms === 0 || (s.interval_ms > 500 && s.interval_ms < 3000))).toBe(true);

  // An action is an event line.
  expect((await runTcpvs(["status", "drain", "app", "b1", "--control", control])).code).toBe(0);
  await waitLine(w, /"type":"event".*"action":"drain"/, 5000);

  // Restart the daemon: the watch says it lost it, comes back by itself, and starts with a snapshot.
  p!.proc.kill("SIGTERM");
  expect(await exitWithin(p!, 8000)).toBe(0);
  const lost = await waitLine(w, /"type":"disconnected"/, 5000);
  p = await startServe(file);
  const back = await waitLine(w, /"type":"reconnected"/, 10_000, lost);
  await waitLine(w, /"type":"snapshot"/, 5000, back);
  expect(w.proc.exitCode).toBeNull();

  w.proc.kill("SIGINT");
  expect(await exitWithin(w, 5000)).toBe(0);
}, 60_000);

test("a server answering 503: its own 5xx count in the snapshot and its 5xx/s in the stats lines", async () => {
  const t = spawnTcpvs(["status", "--watch", "--json", "--control", control]);
  try {
    await waitLine(t, /"type":"stats"/, 10_000);
    const before = await statusJson(control);
    for (let i = 0; i < 6; i++) {
      const r = await fetch(`http://127.0.0.1:${port}/unavailable`, { headers: { connection: "close" } });
      expect(r.status).toBe(503);
      await r.text();
    }
    await waitLine(t, /"type":"stats".*"servers":\[.*"responses_5xx_per_second":[1-9]/, 5000);
    const after = await statusJson(control);
    const count = (s: typeof after) => s.pools[0]!.servers.reduce((n, x) => n + x.responses_5xx_total, 0);
    expect(count(after) - count(before)).toBe(6);
    // 503s the server sent are not failed attempts on it: the server is not at fault for tcpvs.
    const errs = (s: typeof after) => s.pools[0]!.servers.reduce((n, x) => n + x.errors_total, 0);
    expect(errs(after)).toBe(errs(before));
    const stats = jsonLines(t).filter((l) => l.type === "stats") as unknown as Array<{
      interval_ms: number;
      servers: Array<{ server: string; responses_5xx_per_second: number }>;
    }>;
    const seen = stats.reduce(
      (n, s) => n + s.servers.reduce((m, x) => m + (x.responses_5xx_per_second * s.interval_ms) / 1000, 0),
      0,
    );
    expect(Math.round(seen)).toBeLessThanOrEqual(6);
    expect(Math.round(seen)).toBeGreaterThan(0);
  } finally {
    t.proc.kill("SIGINT");
    expect(await exitWithin(t, 5000)).toBe(0);
  }
}, 30_000);

test("--watch without a terminal prints one line per event", async () => {
  const t = spawnTcpvs(["status", "--watch", "--control", control]);
  try {
    await waitLine(t, /^watching /, 10_000);
    expect((await runTcpvs(["status", "enable", "app", "b1", "--control", control])).code).toBe(0);
    await waitLine(t, /action enable by .* pool=app server=b1/, 5000);
  } finally {
    t.proc.kill("SIGINT");
    expect(await exitWithin(t, 5000)).toBe(0);
  }
});
