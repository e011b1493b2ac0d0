// Source persistence (persistence_timeout) with its table in shared memory, so a client's next
// connection reaches the same server whichever worker accepts it. The rules are Persistence.ts's; only
// the table differs (SharedKeyTable, also lblc's): two workers that miss the same key at once both
// pick, and the first to store wins: the second takes its server.

import { ipKey } from "./ip-key.ts";
import type { PersistenceOptions } from "./persistence.ts";
import { available, reachable, Tier } from "./tier.ts";
import type { PickContext, SchedServer, Scheduler, SchedulerEnv } from "./types.ts";
import { slotOf } from "./shared-counts.ts";

const PROBE = 8;
/** Clock unit of the table: 10 ms, so an int32 spans 248 days and wraps harmlessly (signed ages). */
const TICK_MS = 10;

/**
 * Ticks since `then` (int32 ticks wrap: signed, so ±248 days). A little negative when another thread
 * stored a later time than this one read (clocks read before the lock, or a coarse clock a tick behind):
 * that entry is fresh, not expired.
 */
const age = (now: number, then: number): number => (now - then) | 0;

/** The buffer for a table remembering about `maxEntries` clients: [lock, size, ...entries × 3]. */
export function persistenceBuffer(maxEntries: number, width = 3): SharedArrayBuffer {
  let size = 16;
  while (size < maxEntries * 2 && size < 1 << 22) size <<= 1;
  const b = new SharedArrayBuffer((2 + size * width) * 4);
  new Int32Array(b)[1] = size;
  return b;
}

/**
 * A key -> server slot table in shared memory: open addressing over [key, slot + 1, last use] words in
 * a probe window of PROBE, expiry by idle time, the least recently used entry of a full window replaced,
 * and one spin lock held only for a lookup or a store (never across a scheduler's pick).
 */
export class SharedKeyTable {
  private readonly w: Int32Array;
  private readonly mask: number;
  private readonly timeoutTicks: number;

  /** Words per entry: [key, value (0 = free), last use, ...more of the caller's]. */
  private readonly width: number;

  constructor(buffer: SharedArrayBuffer, timeoutMs: number, width = 3) {
    this.width = width;
    this.w = new Int32Array(buffer);
    this.mask = this.w[1]! - 1;
    this.timeoutTicks = Math.ceil(timeoutMs / TICK_MS);
  }

  /** The table's clock, in ticks (the same on every thread: wall time, not performance.now()). */
  static now(): number {
    return SharedKeyTable.tick(Date.now());
  }

  /** A time in ms (wall time, the same on every thread) on the table's clock. */
  static tick(ms: number): number {
    return (ms / TICK_MS) | 0;
  }

  /** The live slot for `key` (and its use time refreshed), or -1. */
  get(key: number, now: number): number {
    this.lock();
    const at = this.find(key, now);
    let slot = -1;
    if (at >= 0) {
      this.w[at + 2] = now;
      slot = this.w[at + 1]! - 1;
    }
    this.unlock();
    return slot;
  }

  /**
   * Store `slot` for `key` unless another thread stored a live one meanwhile that `keep` accepts:
   * returns the slot that holds (first writer wins).
   */
  put(key: number, slot: number, now: number, keep: (slot: number) => boolean): number {
    const w = this.w;
    this.lock();
    let at = this.find(key, now);
    if (at >= 0) {
      const other = w[at + 1]! - 1;
      if (other !== slot && keep(other)) {
        w[at + 2] = now;
        this.unlock();
        return other;
      }
    } else at = this.victim(key, now);
    w[at] = key;
    w[at + 1] = slot + 1;
    w[at + 2] = now;
    this.unlock();
    return slot;
  }

  /**
   * Run `fn` under the lock with the entry for `key`: its index in `words` and whether it was found live
   * (else a free, expired or least recently used entry the caller may overwrite, key included). With
   * `hi`, a key is two words, the second at entry word 3 (the caller writes it with the first).
   */
  withEntry<T>(
    key: number,
    now: number,
    fn: (words: Int32Array, at: number, found: boolean) => T,
    hi?: number,
  ): T {
    this.lock();
    try {
      const at = this.find(key, now, hi);
      return at >= 0 ? fn(this.w, at, true) : fn(this.w, this.victim(key, now), false);
    } finally {
      this.unlock();
    }
  }

  /** Run `fn` on every entry in use (live or expired), holding the lock throughout. */
  scan(fn: (words: Int32Array, at: number) => void): void {
    this.lock();
    try {
      for (let h = 0; h <= this.mask; h++) {
        const at = 2 + h * this.width;
        if (this.w[at + 1] !== 0) fn(this.w, at);
      }
    } finally {
      this.unlock();
    }
  }

  /** Entries in use and not expired at `now`. */
  live(now: number): number {
    let n = 0;
    this.scan((w, at) => {
      if (age(now, w[at + 2]!) <= this.timeoutTicks) n++;
    });
    return n;
  }

  private find(key: number, now: number, hi?: number): number {
    const w = this.w;
    for (let k = 0, h = key & this.mask; k < PROBE; k++, h = (h + 1) & this.mask) {
      const at = 2 + h * this.width;
      if (
        w[at + 1] !== 0 &&
        w[at] === key &&
        (hi === undefined || w[at + 3] === hi) &&
        age(now, w[at + 2]!) <= this.timeoutTicks
      )
        return at;
    }
    return -1;
  }

  /** A free, expired or else least recently used entry of the key's probe window. */
  private victim(key: number, now: number): number {
    const w = this.w;
    let best = -1;
    let bestAge = Number.NEGATIVE_INFINITY;
    for (let k = 0, h = key & this.mask; k < PROBE; k++, h = (h + 1) & this.mask) {
      const at = 2 + h * this.width;
      if (w[at + 1] === 0) return at;
      const a = age(now, w[at + 2]!);
      if (a > bestAge) {
        best = at;
        bestAge = a;
      }
    }
    return best;
  }

  private lock(): void {
    for (let spins = 0; Atomics.compareExchange(this.w, 0, 0, 1) !== 0; spins++) {
      if (spins > 10_000_000) break; // a holder that died: take it
    }
  }

  private unlock(): void {
    Atomics.store(this.w, 0, 0);
  }
}

/** The servers of a list by their shared slot. */
export function bySlot(servers: readonly SchedServer[]): Map<number, SchedServer> {
  const m = new Map<number, SchedServer>();
  for (const s of servers) {
    const i = slotOf.get(s);
    if (i !== undefined) m.set(i, s);
  }
  return m;
}

export class SharedPersistence implements Scheduler {
  readonly name: string;
  readonly inner: Scheduler;
  private readonly table: SharedKeyTable;
  private readonly servers: readonly SchedServer[];
  private readonly tier: Tier;
  private readonly opts: PersistenceOptions;
  private slots = new Map<number, SchedServer>();

  constructor(
    inner: Scheduler,
    servers: readonly SchedServer[],
    _env: SchedulerEnv,
    opts: PersistenceOptions,
    buffer: SharedArrayBuffer,
  ) {
    this.name = inner.name;
    this.inner = inner;
    this.servers = servers;
    this.tier = new Tier(servers);
    this.opts = opts;
    this.table = new SharedKeyTable(buffer, opts.timeout);
    this.slots = bySlot(servers);
  }

  private keeps(s: SchedServer | undefined): s is SchedServer {
    if (s === undefined || !this.tier.serves(s)) return false;
    return this.opts.expireQuiescent ? available(s) : reachable(s);
  }

  pick(ctx: PickContext): SchedServer | undefined {
    const now = SharedKeyTable.now();
    const { v4Mask, v6Prefix } = this.opts.granularity;
    const key = ipKey(ctx.sourceIp, v4Mask, v6Prefix) | 0;
    const held = this.slots.get(this.table.get(key, now));
    if (this.keeps(held)) return held;
    const s = this.inner.pick(ctx);
    if (s === undefined) return undefined;
    const slot = slotOf.get(s);
    if (slot === undefined) return s;
    // Another worker may have placed this client first: follow it.
    return this.slots.get(this.table.put(key, slot, now, (o) => this.keeps(this.slots.get(o)))) ?? s;
  }

  update(): void {
    this.tier.refresh();
    this.slots = bySlot(this.servers);
    this.inner.update();
  }

  done(server: SchedServer, latencyMs: number, ok: boolean): void {
    this.inner.done?.(server, latencyMs, ok);
  }
}
