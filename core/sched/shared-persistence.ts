// Source persistence (persistence_timeout) with its table in shared memory, so a client's next
// connection reaches the same server whichever worker accepts it. The rules are Persistence.ts's; only
// the table differs: open addressing over [key, server slot + 1, last use] words, a short probe
// window, the least recently used entry of the window replaced when it is full, and one spin lock per
// table held for a lookup or an insert (never across the inner pick, so two workers that miss the same
// key at once both pick, and the first to insert wins: the second takes its server).

import { ipKey } from "./ipKey.ts";
import type { PersistenceOptions } from "./Persistence.ts";
import { available, reachable, Tier } from "./tier.ts";
import type { PickContext, SchedServer, Scheduler, SchedulerEnv } from "./types.ts";
import { slotOf } from "../state/shared-server.ts";

const PROBE = 8;
/** Clock unit of the table: 10 ms, so an int32 spans 248 days and wraps harmlessly (unsigned ages). */
const TICK_MS = 10;

/** The buffer for a table remembering about `maxEntries` clients: [lock, size, ...entries × 3]. */
export function persistenceBuffer(maxEntries: number): SharedArrayBuffer {
  let size = 16;
  while (size < maxEntries * 2 && size < 1 << 22) size <<= 1;
  const b = new SharedArrayBuffer((2 + size * 3) * 4);
  new Int32Array(b)[1] = size;
  return b;
}

export class SharedPersistence implements Scheduler {
  readonly name: string;
  readonly inner: Scheduler;
  private readonly w: Int32Array;
  private readonly mask: number;
  private readonly servers: readonly SchedServer[];
  private readonly tier: Tier;
  private readonly opts: PersistenceOptions;
  private readonly timeoutTicks: number;
  private bySlot = new Map<number, SchedServer>();

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
    this.w = new Int32Array(buffer);
    this.mask = this.w[1]! - 1;
    this.timeoutTicks = Math.ceil(opts.timeout / TICK_MS);
    this.index();
  }

  private index(): void {
    this.bySlot = new Map();
    for (const s of this.servers) {
      const i = slotOf.get(s);
      if (i !== undefined) this.bySlot.set(i, s);
    }
  }

  private keeps(s: SchedServer): boolean {
    if (!this.tier.serves(s)) return false;
    return this.opts.expireQuiescent ? available(s) : reachable(s);
  }

  /** Under the lock: the entry index holding `key` live, or -1. */
  private find(key: number, now: number): number {
    const w = this.w;
    for (let k = 0, h = key & this.mask; k < PROBE; k++, h = (h + 1) & this.mask) {
      const at = 2 + h * 3;
      if (w[at + 1] !== 0 && w[at] === key && (now - w[at + 2]!) >>> 0 <= this.timeoutTicks) return at;
    }
    return -1;
  }

  private lock(): void {
    for (let spins = 0; Atomics.compareExchange(this.w, 0, 0, 1) !== 0; spins++) {
      if (spins > 10_000_000) break; // a holder that died: take it
    }
  }

  private unlock(): void {
    Atomics.store(this.w, 0, 0);
  }

  pick(ctx: PickContext): SchedServer | undefined {
    const now = (Date.now() / TICK_MS) | 0;
    const { v4Mask, v6Prefix } = this.opts.granularity;
    const key = ipKey(ctx.sourceIp, v4Mask, v6Prefix) | 0;
    const w = this.w;
    this.lock();
    let at = this.find(key, now);
    let held = at >= 0 ? this.bySlot.get(w[at + 1]! - 1) : undefined;
    if (held !== undefined) w[at + 2] = now;
    this.unlock();
    if (held !== undefined && this.keeps(held)) return held;
    const s = this.inner.pick(ctx);
    if (s === undefined) return undefined;
    const slot = slotOf.get(s);
    if (slot === undefined) return s;
    this.lock();
    at = this.find(key, now);
    held = at >= 0 ? this.bySlot.get(w[at + 1]! - 1) : undefined;
    if (held !== undefined && held !== s && this.keeps(held)) {
      // Another worker placed this client first: follow it.
      w[at + 2] = now;
      this.unlock();
      return held;
    }
    if (at < 0) at = this.victim(key, now);
    w[at] = key;
    w[at + 1] = slot + 1;
    w[at + 2] = now;
    this.unlock();
    return s;
  }

  /** A free, expired or else least recently used entry of the key's probe window. */
  private victim(key: number, now: number): number {
    const w = this.w;
    let best = -1;
    let bestAge = -1;
    for (let k = 0, h = key & this.mask; k < PROBE; k++, h = (h + 1) & this.mask) {
      const at = 2 + h * 3;
      if (w[at + 1] === 0) return at;
      const age = (now - w[at + 2]!) >>> 0;
      if (age > bestAge) {
        best = at;
        bestAge = age;
      }
    }
    return best;
  }

  update(): void {
    this.tier.refresh();
    this.index();
    this.inner.update();
  }

  done(server: SchedServer, latencyMs: number, ok: boolean): void {
    this.inner.done?.(server, latencyMs, ok);
  }
}
