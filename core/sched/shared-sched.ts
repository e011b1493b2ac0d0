// A pool's scheduling when several data-path workers serve it (core/daemon/switch-worker.ts): one rr/wrr
// position for all (the plain algorithm run under the pool's lock on a cursor in shared memory), the
// shared source-persistence table, and max_connections as a reservation made atomically at pick time,
// so N workers picking at once cannot push a server past its limit.

import type { SchedulingParts } from "./registry.ts";
import { RoundRobin } from "./rr.ts";
import type { SharedCounts } from "./shared-counts.ts";
import { SharedPersistence } from "./shared-persistence.ts";
import type { PickContext, SchedServer, Scheduler } from "./types.ts";
import { WeightedRoundRobin } from "./wrr.ts";
import { reservation, slotOf } from "../state/shared-server.ts";

/** rr with its cursor in pool slot `p`'s word 1: one sequence over every worker. */
class SharedRoundRobin extends RoundRobin {
  constructor(
    servers: readonly SchedServer[],
    private readonly c: SharedCounts,
    private readonly p: number,
  ) {
    super(servers);
  }

  override pick(ctx: PickContext): SchedServer | undefined {
    const w = this.c.poolWords;
    const at = this.p * 4 + 1;
    return this.c.locked(this.p, () => {
      this.next = Atomics.load(w, at);
      const s = super.pick(ctx);
      Atomics.store(w, at, this.next);
      return s;
    });
  }
}

/** wrr with (last index, current weight) in pool slot `p`'s words 1 and 2. */
class SharedWeightedRoundRobin extends WeightedRoundRobin {
  constructor(
    servers: readonly SchedServer[],
    private readonly c: SharedCounts,
    private readonly p: number,
  ) {
    super(servers);
  }

  override pick(ctx: PickContext): SchedServer | undefined {
    const w = this.c.poolWords;
    const at = this.p * 4 + 1;
    return this.c.locked(this.p, () => {
      this.cl = Atomics.load(w, at) - 1;
      const cw = Atomics.load(w, at + 1);
      // Another worker may have stored a position from before a weight change this one applied.
      this.cw = cw > this.mw || cw <= 0 ? this.mw : cw;
      const s = super.pick(ctx);
      Atomics.store(w, at, this.cl + 1);
      Atomics.store(w, at + 1, this.cw);
      return s;
    });
  }
}

/**
 * max_connections across workers: a server the inner scheduler picks is reserved by compare-and-swap
 * on its shared count; one at its limit (another worker took the last place) is skipped and the pick
 * retried, as many times as there are servers.
 */
class SharedLimit implements Scheduler {
  readonly name: string;
  constructor(
    private readonly inner: Scheduler,
    private readonly servers: readonly SchedServer[],
    private readonly c: SharedCounts,
  ) {
    this.name = inner.name;
  }

  pick(ctx: PickContext): SchedServer | undefined {
    // A reservation not claimed by the switch's active++ (none is expected) is given back, not leaked.
    if (reservation.slot >= 0) {
      Atomics.sub(this.c.active, reservation.slot, 1);
      reservation.slot = -1;
    }
    for (let tries = 0; tries <= this.servers.length; tries++) {
      const s = this.inner.pick(ctx);
      if (s === undefined || s.maxConnections <= 0) return s;
      const i = slotOf.get(s);
      if (i === undefined) return s;
      if (this.c.reserve(i, s.maxConnections)) {
        reservation.slot = i;
        return s;
      }
    }
    return undefined;
  }

  update(): void {
    this.inner.update();
  }

  done(server: SchedServer, latencyMs: number, ok: boolean): void {
    this.inner.done?.(server, latencyMs, ok);
  }
}

/** The parts createPoolScheduling uses in a worker for pool slot `p`. */
export function sharedParts(c: SharedCounts, pool: string): SchedulingParts {
  const p = c.layout.pools[pool];
  const table = c.layout.persistence[pool];
  return {
    algorithm: (name, servers) => {
      if (p === undefined) return undefined;
      if (name === "rr") return new SharedRoundRobin(servers, c, p);
      if (name === "wrr") return new SharedWeightedRoundRobin(servers, c, p);
      return undefined;
    },
    persistence: table
      ? (inner, servers, env, opts) => new SharedPersistence(inner, servers, env, opts, table)
      : undefined,
    outer: (s, servers) => new SharedLimit(s, servers, c),
  };
}
