// lblcr as a data-path worker runs it: each key's server set in shared memory, so a key's replicas are
// the same whichever worker accepts. The rules are lblcr.ts's; an entry is [key, in use, last use, last
// change, set...], the set a bit mask over the pool's servers in config order (the same order in every
// worker), one 32-bit word per 32 servers, and the whole decision, set update included, is made under
// the table's lock: it only reads counts, never waits. The main thread sizes the table for the pool
// (lblcrWidth) and makes a wider one when a reload grows the pool past its words.

import { keyId, type KeySpec, keyOption } from "./key.ts";
import { isOverloaded } from "./locality.ts";
import { numberOption } from "./options.ts";
import { SharedKeyTable } from "./shared-persistence.ts";
import { available, Tier } from "./tier.ts";
import type { PickContext, SchedServer, Scheduler } from "./types.ts";
import { leastWeighted } from "./wlc.ts";

/** Words before an entry's set: [key, in use (1), last use, last change]. */
const HEAD = 4;

/** Words per entry for a pool of `servers` servers. */
export function lblcrWidth(servers: number): number {
  return HEAD + Math.max(1, Math.ceil(servers / 32));
}

/** The words per entry of a table built by persistenceBuffer (header [lock, entries]). */
export function tableWidth(buffer: SharedArrayBuffer): number {
  return (buffer.byteLength / 4 - 2) / new Int32Array(buffer, 0, 2)[1]!;
}

export class SharedLocalityReplicated implements Scheduler {
  readonly name = "lblcr";
  private readonly servers: readonly SchedServer[];
  private readonly tier: Tier;
  private readonly key: KeySpec;
  private readonly table: SharedKeyTable;
  private readonly expirationTicks: number;
  private members = new Set<SchedServer>();
  private readonly scratch: SchedServer[] = [];
  /** Mask words per entry. */
  private readonly words: number;
  /** Each server's bit: its place in config order. */
  private readonly index: Map<SchedServer, number>;

  constructor(servers: readonly SchedServer[], buffer: SharedArrayBuffer, options: Record<string, unknown>) {
    this.servers = servers;
    this.tier = new Tier(servers);
    this.key = keyOption(options, "host_path");
    const expiration = numberOption(options, "expiration", 86400000);
    const width = tableWidth(buffer);
    if (width < lblcrWidth(servers.length))
      throw new RangeError(`Cannot keep lblcr sets of ${servers.length} servers in ${width - HEAD} words`);
    this.words = width - HEAD;
    this.index = new Map(servers.map((s, i) => [s, i]));
    this.table = new SharedKeyTable(buffer, expiration, width);
    this.expirationTicks = Math.ceil(expiration / 10);
    this.update();
  }

  /** The set's members still in the serving tier (others are forgotten, as lblcr's dropStale). */
  private members_(w: Int32Array, at: number): SchedServer[] {
    const set = this.scratch;
    set.length = 0;
    // Only the set bits: a pick costs the set's size, not the pool's.
    for (let j = 0; j < this.words; j++) {
      for (let m = w[at + HEAD + j]!; m !== 0; m &= m - 1) {
        const s = this.servers[j * 32 + 31 - Math.clz32(m & -m)];
        if (s !== undefined && this.members.has(s)) set.push(s);
      }
    }
    return set;
  }

  /** Store `set` as the entry's mask. */
  private store(w: Int32Array, at: number, set: readonly SchedServer[]): void {
    w.fill(0, at + HEAD, at + HEAD + this.words);
    for (const s of set) {
      const i = this.index.get(s);
      if (i !== undefined) w[at + HEAD + (i >> 5)]! |= 1 << (i & 31);
    }
  }

  pick(ctx: PickContext): SchedServer | undefined {
    const now = SharedKeyTable.now();
    const id = keyId(ctx, this.key);
    const k = (id ^ Math.floor(id / 4294967296)) | 0;
    const list = this.tier.list;
    return this.table.withEntry(k, now, (w, at, found) => {
      const set = found ? this.members_(w, at) : [];
      if (set.length === 0) {
        const s = leastWeighted(list);
        if (s !== undefined) {
          w[at] = k;
          w[at + 1] = 1;
          w[at + 2] = now;
          w[at + 3] = now;
          set.push(s);
          this.store(w, at, set);
        }
        return s;
      }
      w[at + 2] = now;
      let lastMod = w[at + 3]!;
      const least = leastWeighted(set);
      if (set.length > 1 && (now - lastMod) >>> 0 > this.expirationTicks) {
        const most = setMax(set);
        if (most !== least) {
          set.splice(set.indexOf(most), 1);
          lastMod = now;
        }
      }
      let pick = least;
      if (least === undefined || isOverloaded(least, list)) {
        const s = leastWeighted(list);
        if (s !== undefined) {
          if (!set.includes(s)) {
            set.push(s);
            lastMod = now;
          }
          pick = s;
        }
      }
      this.store(w, at, set);
      w[at + 3] = lastMod;
      return pick;
    });
  }

  update(): void {
    this.tier.refresh();
    this.members = new Set(this.tier.list);
  }
}

/** The member to drop: an unavailable one first, else the most loaded per weight (lblcr.ts's rule). */
function setMax(set: readonly SchedServer[]): SchedServer {
  let most = set[0]!;
  for (let i = 1; i < set.length; i++) {
    const s = set[i]!;
    if (!available(most)) break;
    if (!available(s) || s.active * most.weight > most.active * s.weight) most = s;
  }
  return most;
}
