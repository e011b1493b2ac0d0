import { describe, expect, test } from "bun:test";
import { CheckState } from "../../core/check/check-state.ts";
import { HealthMonitor, sorryServer } from "../../core/check/health-monitor.ts";
import type { NotifyEvent } from "../../core/check/notify.ts";
import { nextQuorum } from "../../core/check/quorum.ts";
import { checkDefaults, type CheckOutcome } from "../../core/check/types.ts";
import type { CheckConfig, PoolConfig, ServerConfig } from "../../core/config/types.ts";
import { memoryLogger } from "../../core/log/logger.ts";
import { Cluster, type ClusterEvent, PoolState, ServerState } from "../../core/state/cluster.ts";
import { FakeClock } from "./fake-clock.ts";
import { inet } from "./net-helpers.ts";

function server(name: string, weight = 1): ServerConfig {
  return {
    name,
    address: inet(8000 + Number(name.replace(/\D/g, "") || 0)),
    weight,
    backup: false,
    max_connections: 0,
  };
}

function pool(
  servers: ServerConfig[],
  checks: Array<Partial<CheckConfig>>,
  over: Partial<PoolConfig> = {},
): PoolConfig {
  return {
    name: "web",
    scheduler: "rr",
    scheduler_options: {},
    persistence_timeout: 0,
    persistence_granularity: "",
    quorum: 1,
    hysteresis: 0,
    inhibit_on_failure: false,
    server: servers,
    check: checks.map((c) => checkDefaults({ type: "tcp", interval: 1000, delay_before_retry: 0, ...c })),
    ...over,
  };
}

/** A monitor on a fake clock; `verdict(server, check index, time)` scripts the probe results. */
function setup(
  cfg: PoolConfig,
  verdict: (server: string, check: number, t: number) => boolean | CheckOutcome,
  localShortage: () => string | undefined = () => undefined,
) {
  const clock = new FakeClock();
  const { logger, lines } = memoryLogger("info");
  const cluster = new Cluster();
  const state = new PoolState(
    cfg.name,
    cfg.server.map((s) => new ServerState(cfg.name, s.name, s.address.text, s.weight, { now: 0 })),
  );
  cluster.pools.set(cfg.name, state);
  let changes = 0;
  state.onChange = () => changes++;
  const events: ClusterEvent[] = [];
  cluster.subscribe((e) => events.push(e));
  const probes: Array<{ server: string; t: number }> = [];
  const notes: NotifyEvent[] = [];
  const monitor = new HealthMonitor({
    now: clock.now,
    random: () => 0,
    setTimer: clock.setTimer,
    clearTimer: clock.clearTimer,
    logger,
    notify: (_cmd, e) => notes.push(e),
    localShortage,
    runCheck: async (check, s) => {
      probes.push({ server: s.name, t: clock.t });
      const v = verdict(s.name, cfg.check.indexOf(check), clock.t);
      return typeof v === "boolean" ? { ok: v, reason: v ? "connected" : "refused", latencyMs: 1 } : v;
    },
  });
  monitor.start(cluster, { [cfg.name]: cfg });
  return { clock, lines, cluster, state, monitor, probes, notes, events, changes: () => changes };
}

describe("check state rules", () => {
  test("down after max(fall, retry+1) failures; rise successes bring it back", () => {
    const s = new CheckState({
      interval: 1000,
      rise: 2,
      fall: 2,
      retry: 3,
      delay_before_retry: 100,
      alpha: false,
    });
    expect(s.failsToDown).toBe(4);
    expect([false, false, false].map((ok) => s.record(ok))).toEqual([
      { up: true, changed: false, next: 100 },
      { up: true, changed: false, next: 100 },
      { up: true, changed: false, next: 100 },
    ]);
    expect(s.record(false)).toEqual({ up: false, changed: true, next: 1000 });
    expect(s.record(true)).toEqual({ up: false, changed: false, next: 1000 });
    expect(s.record(true)).toEqual({ up: true, changed: true, next: 1000 });
  });

  test("quorum hysteresis", () => {
    const rule = { quorum: 3, hysteresis: 1 };
    expect(nextQuorum(true, 2, rule)).toBe(true);
    expect(nextQuorum(true, 1, rule)).toBe(false);
    expect(nextQuorum(false, 3, rule)).toBe(false);
    expect(nextQuorum(false, 4, rule)).toBe(true);
  });
});

describe("health monitor timing", () => {
  test("keepalived retry: retries spaced by delay_before_retry, down after retry+1 failures", async () => {
    const cfg = pool([server("s1")], [{ retry: 2, delay_before_retry: 200 }]);
    const h = setup(cfg, (_s, _c, t) => t < 50);
    await h.clock.advance(5000);
    // 0 ok; 1000 fail; retries at 1200, 1400 (third failure: down); then every interval.
    expect(h.probes.map((p) => p.t).slice(0, 6)).toEqual([0, 1000, 1200, 1400, 2400, 3400]);
    const down = h.events.find((e) => e.type === "server" && !e.up);
    expect(down?.at).toBe(1400);
    expect(h.state.server("s1")!.up).toBe(false);
    h.monitor.stop();
  });

  test("a check failing while this host is out of descriptors is not counted against the server", async () => {
    const cfg = pool([server("s1")], [{ fall: 1 }]);
    let short = true;
    const h = setup(
      cfg,
      (_s, _c, t) => t === 0,
      () => (short ? "EMFILE" : undefined),
    );
    await h.clock.advance(3500);
    expect(h.state.server("s1")!.up).toBe(true);
    expect(h.lines.filter((l) => /out of file descriptors/.test(l)).length).toBe(1);
    short = false;
    await h.clock.advance(1000);
    expect(h.state.server("s1")!.up).toBe(false);
    h.monitor.stop();
  });

  test("rise and fall count consecutive results", async () => {
    // Fails at 1000..3000 (3 runs), passes from 4000 on.
    const cfg = pool([server("s1")], [{ fall: 3, rise: 2 }]);
    const h = setup(cfg, (_s, _c, t) => t === 0 || t >= 4000);
    await h.clock.advance(8000);
    const flips = h.events.filter((e) => e.type === "server").map((e) => [e.at, e.type === "server" && e.up]);
    expect(flips).toEqual([
      [3000, false],
      [5000, true],
    ]);
    expect(h.notes.map((n) => [n.state, n.server])).toEqual([]);
    h.monitor.stop();
  });

  test("alpha starts down and comes up after rise successes; the first run is jittered within 1 s", async () => {
    const cfg = pool([server("s1")], [{ alpha: true, rise: 2, interval: 5000 }]);
    const h = setup(cfg, () => true);
    expect(h.state.server("s1")!.up).toBe(false);
    expect(h.state.quorumUp).toBe(false);
    await h.clock.advance(5000);
    expect(h.state.server("s1")!.up).toBe(true);
    expect(h.events.find((e) => e.type === "server" && e.up)?.at).toBe(5000);
    expect(h.events.filter((e) => e.type === "pool")).toEqual([
      { type: "pool", pool: "web", quorum: false, at: 0 },
      { type: "pool", pool: "web", quorum: true, at: 5000 },
    ]);
    h.monitor.stop();
    expect(h.clock.pending).toBe(0);
  });

  test("a server is up only while all of its checks pass", async () => {
    const cfg = pool([server("s1")], [{}, { type: "http" }], {
      notify_down: "/bin/true",
      notify_up: "/bin/true",
    });
    const h = setup(cfg, (_s, c, t) => c === 0 || t < 2000 || t >= 4000);
    await h.clock.advance(5000);
    const flips = h.events
      .filter((e) => e.type === "server")
      .map((e) => e.type === "server" && [e.at, e.up, e.reason]);
    expect(flips).toEqual([
      [2000, false, "http: refused"],
      [4000, true, "http: connected"],
    ]);
    expect(h.notes.map((n) => [n.state, n.pool, n.server, n.address])).toEqual([
      ["DOWN", "web", "s1", "127.0.0.1:8001"],
      ["UP", "web", "s1", "127.0.0.1:8001"],
    ]);
    h.monitor.stop();
  });

  test("a dynamic script sets the weight; exit 0 keeps the last one", async () => {
    const cfg = pool([server("s1", 10)], [{ type: "script", dynamic: true }]);
    const h = setup(cfg, (_s, _c, t) =>
      t === 1000
        ? { ok: true, reason: "exit 7", latencyMs: 1, weight: 5 }
        : { ok: true, reason: "exit 0", latencyMs: 1 },
    );
    await h.clock.advance(500);
    expect(h.state.server("s1")!.weight).toBe(10);
    await h.clock.advance(2000);
    expect(h.state.server("s1")!.weight).toBe(5);
    expect(h.state.server("s1")!.dynamicWeight).toBe(5);
    expect(h.changes()).toBe(1);
    h.monitor.stop();
  });
});

describe("weight set by the operator", () => {
  const byOperator = (h: ReturnType<typeof setup>, w: number) =>
    h.cluster.updateServer("web", "s1", (s) => (s.dynamicWeight = w), "weight by test", h.clock.now());

  test("stands through check results when no dynamic check is configured", async () => {
    const h = setup(pool([server("s1", 10)], [{}]), () => true);
    await h.clock.advance(1500);
    byOperator(h, 7);
    await h.clock.advance(5000);
    expect(h.probes.length).toBeGreaterThan(4);
    expect(h.state.server("s1")!.weight).toBe(7);
    h.monitor.stop();
  });

  test("stands until a dynamic check reports a different weight: the last word wins", async () => {
    const cfg = pool([server("s1", 10)], [{ type: "script", dynamic: true }]);
    const h = setup(cfg, (_s, _c, t) =>
      t === 1000 || t === 2000
        ? { ok: true, reason: "exit 7", latencyMs: 1, weight: 5 }
        : t === 4000
          ? { ok: true, reason: "exit 5", latencyMs: 1, weight: 3 }
          : { ok: true, reason: "exit 0", latencyMs: 1 },
    );
    await h.clock.advance(1500);
    expect(h.state.server("s1")!.weight).toBe(5);
    byOperator(h, 7);
    // 2000 repeats the script's 5 and 3000 says nothing new: the operator's 7 stays.
    await h.clock.advance(2000);
    expect(h.state.server("s1")!.weight).toBe(7);
    await h.clock.advance(1000);
    expect(h.state.server("s1")!.weight).toBe(3);
    h.monitor.stop();
  });
});

describe("reload", () => {
  test("start again keeps unchanged checks' state and resets changed ones", async () => {
    const cfg = pool([server("s1"), server("s2")], [{ interval: 3_600_000 }]);
    const h = setup(cfg, () => false);
    await h.monitor.checkNow("web", "s1");
    await h.monitor.checkNow("web", "s2");
    expect(h.state.servers.map((s) => s.up)).toEqual([false, false]);
    const events = h.events.length;
    h.monitor.start(h.cluster, { web: cfg });
    expect(h.state.servers.map((s) => s.up)).toEqual([false, false]);
    expect(h.events.length).toBe(events + 0);
    // s2 moves: its checks start afresh (up, as there is no alpha).
    const moved = { ...cfg, server: [cfg.server[0]!, { ...cfg.server[1]!, address: inet(9000) }] };
    h.monitor.start(h.cluster, { web: moved });
    expect(h.state.servers.map((s) => s.up)).toEqual([false, true]);
    h.monitor.stop();
    expect(h.clock.pending).toBe(0);
  });
});

describe("pool quorum", () => {
  test("hysteresis and the sorry server, driven by checkNow", async () => {
    const names = ["s1", "s2", "s3", "s4"];
    const cfg = pool(
      names.map((n) => server(n)),
      [{ interval: 3_600_000 }],
      {
        quorum: 2,
        hysteresis: 1,
        sorry_server: inet(9999),
      },
    );
    const live = new Set(names);
    const h = setup(cfg, (s) => live.has(s));
    const set = async (up: string[]) => {
      live.clear();
      for (const n of up) live.add(n);
      for (const n of names) await h.monitor.checkNow("web", n);
      return sorryServer(h.state, cfg)?.text ?? "servers";
    };
    expect(await set(["s1"])).toBe("servers"); // live 1 >= 2 - 1
    expect(await set([])).toBe("127.0.0.1:9999"); // live 0: lost
    expect(await set(["s1", "s2"])).toBe("127.0.0.1:9999"); // 2 < 2 + 1
    expect(await set(["s1", "s2", "s3"])).toBe("servers");
    const poolEvents = h.events.filter((e) => e.type === "pool").map((e) => e.type === "pool" && e.quorum);
    expect(poolEvents).toEqual([false, true]);
    expect(h.lines.filter((l) => l.includes("quorum")).length).toBe(2);
    h.monitor.stop();
  });

  test("inhibit_on_failure keeps a failed server at weight 0", async () => {
    const cfg = pool([server("s1", 5)], [{ interval: 3_600_000 }], { inhibit_on_failure: true });
    let ok = false;
    const h = setup(cfg, () => ok);
    await h.monitor.checkNow("web", "s1");
    const s = h.state.server("s1")!;
    expect([s.healthy, s.inhibited, s.weight]).toEqual([false, true, 0]);
    ok = true;
    await h.monitor.checkNow("web", "s1");
    expect([s.healthy, s.inhibited, s.weight]).toEqual([true, false, 5]);
    await expect(h.monitor.checkNow("web", "nope")).rejects.toThrow('"web/nope" is not checked');
    h.monitor.stop();
  });
});

describe("flapping", () => {
  test("a backend flapping every 300 ms produces a bounded number of log lines", async () => {
    const cfg = pool([server("s1")], [{ interval: 300 }]);
    // Flaps for 180 s, then stays up so the last window closes and is summarised.
    const h = setup(cfg, (_s, _c, t) => t >= 180_000 || Math.floor(t / 300) % 2 === 0);
    await h.clock.advance(250_000);
    const transitions = h.events.filter((e) => e.type === "server" || e.type === "pool").length;
    expect(transitions).toBeGreaterThan(1000);
    // Per 60 s window, for the server and for the pool quorum: 4 transition lines, 1 "flapping", 1 summary.
    expect(h.lines.length).toBeLessThanOrEqual(2 * 3 * 6 + 2);
    if (process.env.SHOW_LINES) console.log(h.lines.join(""));
    const summaries = h.lines.filter((l) => l.includes("flapped"));
    expect(summaries.length).toBe(6);
    const logged = h.lines.filter((l) => / is (UP|DOWN)|quorum( again)? \(/.test(l)).length;
    const counted = summaries.reduce((n, l) => n + JSON.parse(l).suppressed, 0);
    // Nothing is lost: every transition was either logged or counted in a summary.
    expect(logged + counted).toBe(transitions);
    h.monitor.stop();
  });
});

describe("health monitor with the real probes", () => {
  test("checkNow runs the configured tcp check against the server's address", async () => {
    const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const cfg = pool([{ ...server("s1"), address: inet(l.port) }], [{ interval: 3_600_000 }]);
    const cluster = new Cluster();
    const state = new PoolState("web", [new ServerState("web", "s1", `127.0.0.1:${l.port}`, 1)]);
    cluster.pools.set("web", state);
    const { logger, lines } = memoryLogger("info");
    const monitor = new HealthMonitor({ logger });
    try {
      monitor.start(cluster, { web: cfg });
      expect((await monitor.checkNow("web", "s1"))[0]).toMatchObject({ ok: true, reason: "connected" });
      expect(state.server("s1")!.lastCheck).toMatchObject({ ok: true, reason: "connected" });
      l.stop(true);
      expect((await monitor.checkNow("web", "s1"))[0]).toMatchObject({ ok: false, reason: "refused" });
      expect(state.server("s1")!.up).toBe(false);
      expect(lines.map((x) => JSON.parse(x).msg)).toEqual([
        `Server web/s1 (127.0.0.1:${l.port}) is DOWN: tcp: refused`,
        "Pool web lost quorum (live weight 0)",
      ]);
    } finally {
      monitor.stop();
      l.stop(true);
    }
  });
});
