// A pool's scheduling when several data-path workers serve it (core/daemon/switch-worker.ts): one rr/wrr
// position for all (the plain algorithm run under the pool's lock on a cursor in shared memory), the
// shared source-persistence table, and max_connections as a reservation made atomically at pick time,
// so N workers picking at once cannot push a server past its limit.

import type { SchedulingParts } from "./registry.ts";
import { RoundRobin } from "./rr.ts";
import type { SharedCounts } from "./shared-counts.ts";
import { keyId, type KeySpec, keyOption } from "./key.ts";
import { isOverloaded } from "./locality.ts";
import { numberOption } from "./options.ts";
import { lblcrWidth, SharedLocalityReplicated, tableWidth } from "./shared-lblcr.ts";
import { bySlot, SharedKeyTable, SharedPersistence } from "./shared-persistence.ts";
import { available, Tier } from "./tier.ts";
import { leastWeighted } from "./wlc.ts";
import type { PickContext, SchedServer, Scheduler } from "./types.ts";
import { WeightedRoundRobin } from "./wrr.ts";
import { reservation, slotOf } from "./shared-counts.ts";

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
    this.c.lock(this.p);
    try {
      this.next = Atomics.load(w, at);
      const s = super.pick(ctx);
      Atomics.store(w, at, this.next);
      return s;
    } finally {
      this.c.unlock(this.p);
    }
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
    this.c.lock(this.p);
    try {
      this.cl = Atomics.load(w, at) - 1;
      const cw = Atomics.load(w, at + 1);
      // Another worker may have stored a position from before a weight change this one applied.
      this.cw = cw > this.mw || cw <= 0 ? this.mw : cw;
      const s = super.pick(ctx);
      Atomics.store(w, at, this.cl + 1);
      Atomics.store(w, at + 1, this.cw);
      return s;
    } finally {
      this.c.unlock(this.p);
    }
  }
}

/** lblc with its key table shared (SharedKeyTable): a key placed by one worker is found by the others. */
class SharedLocality implements Scheduler {
  readonly name = "lblc";
  private readonly tier: Tier;
  private readonly servers: readonly SchedServer[];
  private readonly key: KeySpec;
  private readonly table: SharedKeyTable;
  private members = new Set<SchedServer>();
  private slots = new Map<number, SchedServer>();

  constructor(servers: readonly SchedServer[], buffer: SharedArrayBuffer, options: Record<string, unknown>) {
    this.servers = servers;
    this.tier = new Tier(servers);
    this.key = keyOption(options, "host_path");
    this.table = new SharedKeyTable(buffer, numberOption(options, "expiration", 86400000));
    this.update();
  }

  private keeps(s: SchedServer | undefined, list: readonly SchedServer[]): s is SchedServer {
    return s !== undefined && this.members.has(s) && available(s) && !isOverloaded(s, list);
  }

  pick(ctx: PickContext): SchedServer | undefined {
    const now = SharedKeyTable.now();
    // The table keys are 32 bits: a rare collision sends a key to another key's server, which costs
    // locality, never correctness.
    const id = keyId(ctx, this.key);
    const k = (id ^ Math.floor(id / 4294967296)) | 0;
    const list = this.tier.list;
    const held = this.slots.get(this.table.get(k, now));
    if (this.keeps(held, list)) return held;
    const s = leastWeighted(list);
    if (s === undefined) return undefined;
    const slot = slotOf.get(s);
    if (slot === undefined) return s;
    return this.slots.get(this.table.put(k, slot, now, (o) => this.keeps(this.slots.get(o), list))) ?? s;
  }

  update(): void {
    this.tier.refresh();
    this.members = new Set(this.tier.list);
    this.slots = bySlot(this.servers);
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
    algorithm: (name, servers, _env, options) => {
      if (p === undefined) return undefined;
      if (name === "rr") return new SharedRoundRobin(servers, c, p);
      if (name === "wrr") return new SharedWeightedRoundRobin(servers, c, p);
      // Keyed by scheduler too: an lblc table (3 words an entry) is no lblcr table (4 + a word per 32 servers).
      const lt = c.layout.locality[`${pool}:${name}`];
      if (name === "lblc" && lt) return new SharedLocality(servers, lt, options);
      if (name === "lblcr" && lt && tableWidth(lt) >= lblcrWidth(servers.length))
        return new SharedLocalityReplicated(servers, lt, options);
      return undefined;
    },
    persistence: table
      ? (inner, servers, env, opts) => new SharedPersistence(inner, servers, env, opts, table)
      : undefined,
    outer: (s, servers) => new SharedLimit(s, servers, c),
  };
}
