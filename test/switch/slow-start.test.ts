// slow_start: a server enabled again ramps its effective weight from near 0 to its weight over the
// pool's slow_start, seen in its weight and in the share of requests it gets; servers up at start do
// not ramp.

import { expect, test } from "bun:test";
import { createPoolScheduling } from "../../core/sched/registry.ts";
import type { Scheduler } from "../../core/sched/types.ts";
import { exchange, GET, poolConfig, rig, TestBackend } from "./helpers.ts";

test("a server enabled again ramps its weight and its share of requests over slow_start", async () => {
  const a = new TestBackend("a");
  const b = new TestBackend("b");
  let sched: Scheduler | undefined;
  const r = await rig({ web: [a, b] }, {}, { web: { slow_start: 800 } }, { schedulerFor: () => sched });
  try {
    const pool = r.cluster.pools.get("web")!;
    for (const s of pool.servers) {
      s.configWeight = 10;
      s.recompute();
    }
    const cfg = poolConfig(
      "web",
      [
        { id: "a", port: a.port },
        { id: "b", port: b.port },
      ],
      { scheduler: "wrr" },
    );
    const built = createPoolScheduling(cfg, pool.servers).scheduler;
    sched = built;
    pool.onChange = () => built.update();
    await Bun.sleep(60);
    // Up since the start: full weight, no ramp.
    expect(pool.servers.map((s) => s.weight)).toEqual([10, 10]);
    r.cluster.updateServer(
      "web",
      "b",
      (s) => {
        s.disabled = true;
      },
      "test",
    );
    await Bun.sleep(60);
    r.cluster.updateServer(
      "web",
      "b",
      (s) => {
        s.disabled = false;
      },
      "test",
    );
    await Bun.sleep(60);
    const sb = pool.server("b")!;
    const early = sb.weight;
    const share = async () => {
      const before = b.requests.length;
      for (let i = 0; i < 20; i++) await exchange(r.port, GET("/"));
      return b.requests.length - before;
    };
    const earlyShare = await share();
    await Bun.sleep(250);
    const mid = sb.weight;
    await Bun.sleep(700);
    const late = sb.weight;
    const lateShare = await share();
    expect(early).toBeGreaterThanOrEqual(1);
    expect(early).toBeLessThan(mid);
    expect(mid).toBeLessThan(10);
    expect(late).toBe(10);
    expect(sb.ramp).toBeUndefined();
    expect(earlyShare).toBeLessThan(lateShare);
    expect(lateShare).toBe(10);
  } finally {
    await r.stop();
  }
});
