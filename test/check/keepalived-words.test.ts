// keepalived's checker words in tcpvs: connect_ip/connect_port (probe another address), warmup (the
// first check's random delay), quorum_up/quorum_down (commands on a pool's quorum change) and omega
// (the down notifiers run at shutdown); and the config keys that carry them, with state = MASTER.

import { describe, expect, test } from "bun:test";
import { firstDelay } from "../../core/check/check-state.ts";
import { runOneCheck } from "../../core/check/registry.ts";
import { HealthMonitor } from "../../core/check/health-monitor.ts";
import type { NotifyEvent, QuorumEvent } from "../../core/check/notify.ts";
import { checkDefaults, targetOf } from "../../core/check/types.ts";
import { parseConfig } from "../../core/config/load.ts";
import type { PoolConfig } from "../../core/config/types.ts";
import { memoryLogger } from "../../core/log/logger.ts";
import { Cluster, PoolState, ServerState } from "../../core/state/cluster.ts";
import { FakeClock } from "./fake-clock.ts";
import { inet } from "./net-helpers.ts";

function monitorOf(over: Partial<PoolConfig>, live: Set<string>) {
  const cfg: PoolConfig = {
    name: "web",
    scheduler: "rr",
    scheduler_options: {},
    persistence_timeout: 0,
    persistence_granularity: "",
    quorum: 1,
    hysteresis: 0,
    inhibit_on_failure: false,
    omega: false,
    server: ["s1", "s2"].map((name, i) => ({
      name,
      address: inet(8001 + i),
      weight: 1,
      backup: false,
      max_connections: 0,
    })),
    check: [checkDefaults({ type: "tcp", interval: 3_600_000, delay_before_retry: 0 })],
    ...over,
  };
  const clock = new FakeClock();
  const cluster = new Cluster();
  cluster.pools.set(
    "web",
    new PoolState(
      "web",
      cfg.server.map((s) => new ServerState("web", s.name, s.address.text, 1, { now: 0 })),
    ),
  );
  const quorum: Array<{ command: string } & QuorumEvent> = [];
  const notes: Array<{ command: string } & NotifyEvent> = [];
  const monitor = new HealthMonitor({
    now: clock.now,
    random: () => 0,
    setTimer: clock.setTimer,
    clearTimer: clock.clearTimer,
    logger: memoryLogger("info").logger,
    notify: (command, e) => notes.push({ command, ...e }),
    quorumNotify: (command, e) => quorum.push({ command, ...e }),
    runCheck: async (_c, s) => ({ ok: live.has(s.name), reason: "x", latencyMs: 1 }),
  });
  monitor.start(cluster, { web: cfg });
  return { monitor, quorum, notes };
}

describe("quorum_up / quorum_down and omega", () => {
  test("quorum_down runs when the pool loses quorum, quorum_up when it regains it", async () => {
    const live = new Set(["s1", "s2"]);
    const h = monitorOf({ quorum_up: "/bin/up", quorum_down: "/bin/down" }, live);
    live.clear();
    for (const s of ["s1", "s2"]) await h.monitor.checkNow("web", s);
    live.add("s2");
    await h.monitor.checkNow("web", "s2");
    expect(h.quorum).toEqual([
      { command: "/bin/down", pool: "web", state: "DOWN", liveWeight: 0 },
      { command: "/bin/up", pool: "web", state: "UP", liveWeight: 1 },
    ]);
    h.monitor.stop();
  });
  test("omega: at shutdown notify_down runs for each live server and quorum_down for the pool", async () => {
    const live = new Set(["s1"]);
    const h = monitorOf({ omega: true, notify_down: "/bin/nd", quorum_down: "/bin/qd" }, live);
    await h.monitor.checkNow("web", "s2");
    h.notes.length = 0;
    h.quorum.length = 0;
    h.monitor.shutdown();
    expect(h.notes.map((n) => `${n.command} ${n.server} ${n.state} ${n.reason}`)).toEqual([
      "/bin/nd s1 DOWN shutdown (omega)",
    ]);
    expect(h.quorum).toEqual([{ command: "/bin/qd", pool: "web", state: "DOWN", liveWeight: 0 }]);
  });
  test("without omega, shutdown runs no notifier", () => {
    const h = monitorOf({ notify_down: "/bin/nd", quorum_down: "/bin/qd" }, new Set(["s1", "s2"]));
    h.monitor.shutdown();
    expect(h.notes).toEqual([]);
    expect(h.quorum).toEqual([]);
  });
});

describe("warmup and connect_ip", () => {
  test("warmup bounds the first check's random delay; 0 runs it at once; unset spreads over interval", () => {
    const t = { interval: 10_000, rise: 1, fall: 1, retry: 0, delay_before_retry: 0, alpha: false };
    expect(firstDelay({ ...t, warmup: 2000 }, 0.5)).toBe(1000);
    expect(firstDelay({ ...t, warmup: 0 }, 0.9)).toBe(0);
    expect(firstDelay(t, 0.5)).toBe(5000);
  });
  test("connect_ip and port replace the server's address in the target", () => {
    expect(targetOf(inet(8080), undefined, "10.1.2.3")).toMatchObject({ host: "10.1.2.3", port: 8080 });
    expect(targetOf(inet(8080), 9000, "fd00::1")).toMatchObject({
      host: "fd00::1",
      port: 9000,
      text: "[fd00::1]:9000",
    });
    expect(targetOf(inet(8080))).toEqual(inet(8080));
  });
  test("a tcp check with connect_ip probes that address, not the server's", async () => {
    const l = Bun.listen({ hostname: "127.0.0.2", port: 0, socket: { data() {} } });
    try {
      // The server's own address (127.0.0.1 on the listener's port) has nobody listening.
      const server = inet(l.port);
      const plain = await runOneCheck(checkDefaults({ type: "tcp", timeout: 500 }), server);
      expect(plain.ok).toBe(false);
      const via = await runOneCheck(
        checkDefaults({ type: "tcp", timeout: 500, connect_ip: "127.0.0.2" }),
        server,
      );
      expect(via).toMatchObject({ ok: true, reason: "connected" });
    } finally {
      l.stop(true);
    }
  });
});

describe("the config keys", () => {
  const text = `[[virtual_server]]
name = "web"
listen = ["127.0.0.1:8080"]
pool = "app"

[pool.app]
quorum_up = "/usr/bin/true up"
quorum_down = "/usr/bin/true down"
omega = true
  [[pool.app.server]]
  address = "127.0.0.1:9000"
  [pool.app.check]
  type = "tcp"
  connect_ip = "127.0.0.5"
  connect_port = 9100
  warmup = "3s"

[vrrp.VI_1]
interface = "lo"
virtual_router_id = 5
state = "MASTER"
virtual_ipaddress = ["10.5.5.5/32"]
`;
  test("read with their types and defaults", () => {
    const c = parseConfig(text, "t.toml");
    const p = c.pool.app!;
    expect([p.quorum_up, p.quorum_down, p.omega]).toEqual(["/usr/bin/true up", "/usr/bin/true down", true]);
    expect(p.check[0]).toMatchObject({ connect_ip: "127.0.0.5", port: 9100, warmup: 3000 });
    expect(c.vrrp.VI_1!.state).toBe("MASTER");
    expect(c.global.enable_script_security).toBe(false);
    expect(c.global.script_user).toBeUndefined();
    const d = parseConfig(text.replace('state = "MASTER"\n', "").replace("omega = true\n", ""), "t.toml");
    expect(d.vrrp.VI_1!.state).toBeUndefined();
    expect(d.pool.app!.omega).toBe(false);
    expect(d.pool.app!.check[0]!.warmup).toBe(3000);
  });
  test("bad values are refused at their line", () => {
    expect(() => parseConfig(text.replace('"MASTER"', '"master"'), "t.toml")).toThrow(
      't.toml:21:1: vrrp.VI_1.state: invalid value "master": expected one of "MASTER", "BACKUP"',
    );
    expect(() => parseConfig(text.replace('"127.0.0.5"', '"nope"'), "t.toml")).toThrow(
      'pool.app.check.connect_ip: invalid address "nope"',
    );
  });
});
