import { expect, test } from "bun:test";
import { parseConfig } from "../../core/config/load.ts";
import type { ClusterEvent } from "../../core/state/cluster.ts";
import { clusterFromConfig, reconcileCluster } from "../../core/state/from-config.ts";

const CFG = (servers: string, check = "") => `[[virtual_server]]
name = "web"
listen = ["127.0.0.1:18080"]
pool = "app"
[pool.app]
${servers}
${check}`;

const TWO = `[[pool.app.server]]\naddress = "127.0.0.1:9001"\nweight = 2\n[[pool.app.server]]\naddress = "127.0.0.1:9002"\n`;

test("servers start up with their configured weight, or down with alpha checks", () => {
  const c = clusterFromConfig(parseConfig(CFG(TWO), "t.toml"));
  expect(c.pools.get("app")!.servers.map((s) => [s.id, s.up, s.weight])).toEqual([
    ["127.0.0.1:9001", true, 2],
    ["127.0.0.1:9002", true, 1],
  ]);
  const a = clusterFromConfig(
    parseConfig(CFG(TWO, '[pool.app.check]\ntype = "tcp"\nalpha = true\n'), "t.toml"),
  );
  expect(a.pools.get("app")!.servers.every((s) => !s.up)).toBe(true);
});

test("drain makes a server quiescent, emits one event, and enable restores it", () => {
  const c = clusterFromConfig(parseConfig(CFG(TWO), "t.toml"));
  const events: ClusterEvent[] = [];
  c.subscribe((e) => events.push(e));
  let rebuilt = 0;
  c.pools.get("app")!.onChange = () => rebuilt++;
  expect(c.updateServer("app", "127.0.0.1:9001", (s) => (s.drained = true), "drain", 5)).toBe(true);
  const s = c.pools.get("app")!.server("127.0.0.1:9001")!;
  expect([s.up, s.weight]).toEqual([true, 0]);
  // the same change again changes nothing and says nothing
  c.updateServer("app", "127.0.0.1:9001", (x) => (x.drained = true), "drain", 6);
  expect(events).toEqual([
    { type: "server", pool: "app", server: "127.0.0.1:9001", up: true, weight: 0, reason: "drain", at: 5 },
  ]);
  c.updateServer("app", "127.0.0.1:9001", (x) => (x.drained = false), "enable", 7);
  expect(s.weight).toBe(2);
  expect(rebuilt).toBe(2);
  expect(c.updateServer("app", "nope", () => {}, "x")).toBe(false);
});

test("health and disable both take a server down; since moves only on up/down changes", () => {
  const c = clusterFromConfig(parseConfig(CFG(TWO), "t.toml"), 1);
  const s = c.pools.get("app")!.server("127.0.0.1:9002")!;
  c.updateServer("app", s.id, (x) => (x.dynamicWeight = 5), "check", 10);
  expect([s.weight, s.since]).toEqual([5, 1]);
  c.updateServer("app", s.id, (x) => (x.healthy = false), "check", 20);
  expect([s.up, s.since]).toEqual([false, 20]);
  c.updateServer(
    "app",
    s.id,
    (x) => {
      x.healthy = true;
      x.disabled = true;
    },
    "disable",
    30,
  );
  expect([s.up, s.since]).toEqual([false, 20]);
});

test("a reload keeps surviving servers' state and rebuilds only changed pools", () => {
  const c = clusterFromConfig(parseConfig(CFG(TWO), "t.toml"));
  const kept = c.pools.get("app")!.server("127.0.0.1:9001")!;
  kept.requests = 42;
  kept.drained = true;
  const before = c.pools.get("app")!.servers;
  const same = reconcileCluster(c, parseConfig(CFG(TWO), "t.toml"));
  expect(same.size).toBe(0);
  // schedulers keep a reference to this array: an unchanged pool keeps the very same one
  expect(c.pools.get("app")!.servers).toBe(before);
  const changed = reconcileCluster(
    c,
    parseConfig(
      CFG(
        `[[pool.app.server]]\naddress = "127.0.0.1:9001"\nweight = 7\n[[pool.app.server]]\naddress = "127.0.0.1:9003"\n`,
      ),
      "t.toml",
    ),
  );
  expect([...changed]).toEqual(["app"]);
  const pool = c.pools.get("app")!;
  expect(pool.server("127.0.0.1:9001")).toBe(kept);
  expect([kept.requests, kept.configWeight, kept.weight]).toEqual([42, 7, 0]);
  expect(pool.servers.map((s) => s.id)).toEqual(["127.0.0.1:9001", "127.0.0.1:9003"]);
});

test("a pool's sorry server keeps its counters over a reload while its address stays", () => {
  const cfg = (sorry: string) => parseConfig(CFG(`${sorry}\n${TWO}`), "t.toml");
  const c = clusterFromConfig(cfg('sorry_server = "127.0.0.1:9100"'));
  const first = c.pools.get("app")!.sorry!;
  expect([first.id, first.address]).toEqual(["sorry_server", "127.0.0.1:9100"]);
  first.requests = 5;
  reconcileCluster(c, cfg('sorry_server = "127.0.0.1:9100"'));
  expect(c.pools.get("app")!.sorry).toBe(first);
  reconcileCluster(c, cfg('sorry_server = "127.0.0.1:9101"'));
  const moved = c.pools.get("app")!.sorry!;
  expect([moved === first, moved.address, moved.requests]).toEqual([false, "127.0.0.1:9101", 0]);
  reconcileCluster(c, cfg(""));
  expect(c.pools.get("app")!.sorry).toBeUndefined();
});
