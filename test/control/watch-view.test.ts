// The watch view's model without sockets: rates from successive snapshots, a minute of history as a
// sparkline, the event pane, and the hidden state (held, drained for how long, weight by hand, restart
// pending) on the screen.

import { describe, expect, test } from "bun:test";
import { eventJson } from "../../core/control/event-json.ts";
import { buildSnapshot } from "../../core/control/snapshot.ts";
import { HISTORY, sparkline, WatchModel } from "../../core/control/watch-view.ts";
import { makeCluster, makeProvider } from "./fixture.ts";

function snap(cluster: ReturnType<typeof makeCluster>, now: number, pending: string[] = []) {
  const d = makeProvider(cluster).provider.describe();
  return buildSnapshot(cluster, { ...d, startedAt: now - 60_000, pendingRestart: pending }, 1, now);
}

describe("WatchModel", () => {
  test("rates per second from two snapshots, on virtual servers and servers", () => {
    const c = makeCluster();
    const m = new WatchModel();
    m.reset(snap(c, 10_000));
    c.virtualServers.set("web", { requests: 30, responses5xx: 4 });
    c.pools.get("app")!.server("a1")!.requests = 20;
    c.pools.get("app")!.server("a2")!.errors = 3;
    c.pools.get("app")!.server("a1")!.responses5xx = 4;
    const first = m.tick(snap(c, 12_000));
    // The snapshot taken on (re)connect is the first sample: the first tick compares with it.
    expect(first.virtual_servers[0]).toMatchObject({ requests_per_second: 15, responses_5xx_per_second: 2 });
    expect(first.servers.find((s) => s.server === "a2")).toMatchObject({
      errors_per_second: 1.5,
      responses_5xx_per_second: 0,
    });
    // The server's own 5xx answers, apart from the attempts that failed.
    expect(first.servers.find((s) => s.server === "a1")).toMatchObject({
      errors_per_second: 0,
      responses_5xx_per_second: 2,
    });
    c.virtualServers.set("web", { requests: 50, responses5xx: 6 });
    c.pools.get("app")!.server("a1")!.requests = 30;
    const st = m.tick(snap(c, 14_000));
    expect(st.interval_ms).toBe(2000);
    expect(st.virtual_servers[0]).toEqual({
      name: "web",
      active_connections: 0,
      requests_per_second: 10,
      responses_5xx_per_second: 1,
    });
    expect(st.servers.find((s) => s.server === "a1")).toMatchObject({ requests_per_second: 5, state: "up" });
    const screen = m.render(st, false);
    expect(screen).toMatch(/web\s+0\.0\.0\.0:80\s+app\s+0\s+10\.0\s+1\.0/);
    expect(screen).toContain("recent events");
  });

  test("a counter that went backwards (a daemon restart) is no negative rate", () => {
    const c = makeCluster();
    const m = new WatchModel();
    c.virtualServers.set("web", { requests: 100, responses5xx: 0 });
    m.reset(snap(c, 1000));
    c.virtualServers.set("web", { requests: 3, responses5xx: 0 });
    expect(m.tick(snap(c, 2000)).virtual_servers[0]!.requests_per_second).toBe(0);
  });

  test("history keeps a minute; the sparkline scales to the largest value", () => {
    const c = makeCluster();
    const m = new WatchModel();
    m.reset(snap(c, 0));
    for (let i = 1; i <= HISTORY + 10; i++) {
      c.virtualServers.set("web", { requests: i * i, responses5xx: 0 });
      m.tick(snap(c, i * 1000));
    }
    expect(m.history.get("vs:web")!.length).toBe(HISTORY);
    expect(sparkline([0, 1, 2, 4, 8])).toBe("▁▁▂▄█");
    expect(sparkline([0, 0])).toBe("▁▁");
    expect(sparkline([])).toBe("");
  });

  test("the screen shows a held instance, a drain's age, a weight set by hand, a pending restart, events", () => {
    const c = makeCluster();
    const a1 = c.pools.get("app")!.server("a1")!;
    c.updateServer(
      "app",
      "a1",
      (s) => {
        s.drained = true;
        s.drainedAt = 1_000;
      },
      "drain",
    );
    c.updateServer(
      "app",
      "a2",
      (s) => {
        s.dynamicWeight = 7;
        s.weightSource = "operator";
        s.weightSetAt = 2_000;
      },
      "weight",
    );
    c.vrrpOperator.set("VI_1", { held: true, heldAt: 5_000 });
    const m = new WatchModel();
    m.reset(snap(c, 245_000, ["control", "vrrp.VI_1"]));
    m.event(eventJson({ type: "pool", pool: "app", quorum: false, at: 244_000 }));
    const screen = m.render(undefined, false);
    expect(a1.weight).toBe(0);
    expect(screen).toMatch(/a1\s+drained 4m\s+0\/2/);
    expect(screen).toMatch(/a2\s+up\s+7\/1\*/);
    expect(screen).toMatch(/VI_1\s+master \(held 4m\)/);
    expect(screen).toContain("restart pending: control, vrrp.VI_1");
    expect(screen).toMatch(/pool app quorum lost/);
  });
});
