// Passive health (a pool's `observe = { errors, within }`, HAProxy's `observe layer7` with
// `error-limit`): connection failures and 5xx answers seen on live traffic, `errors` of them within
// `within`, mark a server down as if a check had failed. Its checks then bring it back (the health
// monitor makes them earn `rise` passes again, through `markDown`); a server without checks comes
// back after `within`. Memory: at most `errors` times per server.
//
// With data-path workers each worker's PassiveHealth forwards its errors (`forward`) to the main
// thread's one instance, so errors seen by any worker add up to one count per server.

import type { Logger } from "../log/logger.ts";
import type { Cluster, ServerState } from "../state/cluster.ts";

export interface ObserveConfig {
  errors: number;
  within: number;
}

/** Mark a server down through its health checks; false when it has none (or no monitor runs). */
export type MarkDown = (pool: string, server: string, reason: string) => boolean;

export class PassiveHealth {
  private readonly cluster: Cluster;
  private readonly log: Logger;
  private readonly recent = new Map<ServerState, number[]>();
  /** Servers without checks, marked down, and when they come back. */
  private readonly revive = new Map<ServerState, number>();
  markDown: MarkDown | undefined = undefined;
  /** Set in a data-path worker: errors are counted by the main thread, not here. */
  forward: ((s: ServerState, now: number) => void) | undefined = undefined;

  constructor(cluster: Cluster, log: Logger) {
    this.cluster = cluster;
    this.log = log;
  }

  /** One error of `s` at `now`. */
  error(s: ServerState, o: ObserveConfig, now: number): void {
    if (!s.up) return;
    if (this.forward !== undefined) {
      this.forward(s, now);
      return;
    }
    let times = this.recent.get(s);
    if (times === undefined) {
      times = [];
      this.recent.set(s, times);
    }
    times.push(now);
    while (times.length > 0 && times[0]! <= now - o.within) times.shift();
    if (times.length < o.errors) return;
    this.recent.delete(s);
    const reason = `observe: ${times.length} errors on live traffic within ${o.within}ms`;
    this.cluster.count("observe.down");
    this.log.warn(`Server ${s.pool}/${s.id} (${s.address}) is DOWN: ${reason}`, {
      pool: s.pool,
      server: s.id,
    });
    if (this.markDown?.(s.pool, s.id, reason)) return;
    this.cluster.updateServer(
      s.pool,
      s.id,
      (st) => {
        st.healthy = false;
      },
      reason,
      now,
    );
    this.revive.set(s, now + o.within);
  }

  /** The sweep tick: servers without checks come back once their time is up. */
  tick(now: number): void {
    if (this.revive.size === 0) return;
    for (const [s, at] of this.revive) {
      if (at > now) continue;
      this.revive.delete(s);
      this.cluster.updateServer(
        s.pool,
        s.id,
        (st) => {
          st.healthy = true;
        },
        "observe: back after its error window",
        now,
      );
      this.log.info(`Server ${s.pool}/${s.id} (${s.address}) is UP: observe window over`, {
        pool: s.pool,
        server: s.id,
      });
    }
  }
}
