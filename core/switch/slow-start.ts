// slow_start: a server that comes up (healthy again, enabled, or back from weight 0) ramps its
// effective weight from near 0 to its weight over the pool's slow_start, so a cold server is not
// handed its full share at once (HAProxy `slowstart`). Servers up when tcpvs starts do not ramp.
// Driven by the switch's sweep tick; the scheduler is told of each step as of any weight change.

import type { Cluster, ServerState } from "../state/cluster.ts";

export class SlowStart {
  /** Whether each server was usable (up, weight > 0) at the last tick; absent: never seen. */
  private readonly seen = new WeakMap<ServerState, boolean>();
  /** Servers ramping, with the time their ramp began. */
  private readonly ramping = new Map<ServerState, number>();

  /** One tick at `now` (ms): `slowStart(pool)` is the pool's slow_start in ms (0: off). */
  tick(cluster: Cluster, slowStart: (pool: string) => number, now: number): void {
    for (const pool of cluster.pools.values()) {
      const ms = slowStart(pool.name);
      if (ms <= 0 && this.ramping.size === 0) continue;
      let changed = false;
      for (const s of pool.servers) {
        const usable = s.up && s.fullWeight > 0;
        const was = this.seen.get(s);
        this.seen.set(s, usable);
        if (ms > 0 && was === false && usable) this.ramping.set(s, now);
        const began = this.ramping.get(s);
        if (began === undefined) continue;
        const share = ms > 0 && usable ? (now - began) / ms : 1;
        s.ramp = share >= 1 ? undefined : Math.max(0, share);
        if (s.ramp === undefined) this.ramping.delete(s);
        if (s.recompute()) changed = true;
      }
      if (changed) pool.onChange?.();
    }
  }
}
