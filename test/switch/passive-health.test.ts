// Passive health (pool `observe`): 5xx answers and connection failures on live traffic mark a server
// down; without checks it comes back after `within`; with checks, the health monitor makes them earn
// `rise` passes first.

import { expect, test } from "bun:test";
import { HealthMonitor } from "../../core/check/health-monitor.ts";
import { checkDefaults } from "../../core/check/types.ts";
import { memoryLogger } from "../../core/log/logger.ts";
import { Cluster, PoolState, ServerState } from "../../core/state/cluster.ts";
import { FakeClock } from "../check/fake-clock.ts";
import { exchange, GET, poolConfig, rig, TestBackend } from "./helpers.ts";

test("5xx answers on live traffic mark a server down; the other takes the rest; back after within", async () => {
  const bad = new TestBackend("bad", () => ({ status: 500 }));
  const good = new TestBackend("good");
  const r = await rig({ web: [bad, good] }, {}, { web: { observe: { errors: 3, within: 400 } } });
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await exchange(r.port, GET(`/${i}`))).responses[0]!.status);
    expect(bad.requests.length).toBe(3);
    expect(statuses.filter((s) => s === 500).length).toBe(3);
    expect(r.cluster.pools.get("web")!.server("bad")!.up).toBe(false);
    expect(r.cluster.counters.get("observe.down")).toBe(1);
    expect(r.lines.some((l) => l.includes("Server web/bad") && l.includes("is DOWN: observe"))).toBe(true);
    await Bun.sleep(500);
    expect(r.cluster.pools.get("web")!.server("bad")!.up).toBe(true);
  } finally {
    await r.stop();
  }
});

test("connection failures count too", async () => {
  const gone = new TestBackend("gone");
  const good = new TestBackend("good");
  const r = await rig(
    { web: [gone, good] },
    { retries: 1 },
    { web: { observe: { errors: 2, within: 10_000 } } },
  );
  gone.stop();
  try {
    for (let i = 0; i < 6; i++) expect((await exchange(r.port, GET("/"))).responses[0]!.status).toBe(200);
    expect(r.cluster.pools.get("web")!.server("gone")!.up).toBe(false);
  } finally {
    await r.stop();
  }
});

test("errors spread wider than `within` do not mark a server down", async () => {
  const bad = new TestBackend("bad", () => ({ status: 503 }));
  const r = await rig({ web: [bad] }, {}, { web: { observe: { errors: 2, within: 100 } } });
  try {
    await exchange(r.port, GET("/"));
    await Bun.sleep(150);
    await exchange(r.port, GET("/"));
    expect(r.cluster.pools.get("web")!.server("bad")!.up).toBe(true);
  } finally {
    await r.stop();
  }
});

test("with checks, a server marked down by observe needs `rise` passes to come back", async () => {
  const clock = new FakeClock();
  const cluster = new Cluster();
  const cfg = poolConfig("web", [{ id: "a", port: 1 }], {
    check: [checkDefaults({ type: "tcp", interval: 1000, delay_before_retry: 0, rise: 3 })],
  });
  cluster.pools.set("web", new PoolState("web", [new ServerState("web", "a", "127.0.0.1:1", 1, { now: 0 })]));
  const monitor = new HealthMonitor({
    now: clock.now,
    random: () => 0,
    setTimer: clock.setTimer,
    clearTimer: clock.clearTimer,
    logger: memoryLogger("info").logger,
    notify: () => {},
    runCheck: async () => ({ ok: true, reason: "connected", latencyMs: 1 }),
  });
  monitor.start(cluster, { web: cfg });
  await clock.advance(1500);
  const s = cluster.pools.get("web")!.server("a")!;
  expect(s.up).toBe(true);
  expect(monitor.markDown("web", "a", "observe: test")).toBe(true);
  expect(s.up).toBe(false);
  await clock.advance(2000); // two passes: not yet
  expect(s.up).toBe(false);
  await clock.advance(1000); // the third
  expect(s.up).toBe(true);
  expect(monitor.markDown("web", "nope", "x")).toBe(false);
  monitor.stop();
});
