// lblcr as a data-path worker runs it: each key's server set in shared memory, so a key's replicas are
// the same whichever worker accepts. The rules are lblcr.ts's; an entry is [key, set, last use, last
// change], the set a bit mask over the pool's servers in config order (the same order in every
// worker), and the whole decision, set update included, is made under the table's lock: it only reads
// counts, never waits. Pools of more than 31 servers keep per-worker sets (lblcr.ts).

import { keyId, type KeySpec, keyOption } from "./key.ts";
import { isOverloaded } from "./locality.ts";
import { numberOption } from "./options.ts";
import { SharedKeyTable } from "./shared-persistence.ts";
import { available, Tier } from "./tier.ts";
import type { PickContext, SchedServer, Scheduler } from "./types.ts";
import { leastWeighted } from "./wlc.ts";

/** Entry words: [key, set mask, last use, last change]. */
export const LBLCR_WIDTH = 4;

export class SharedLocalityReplicated implements Scheduler {
  readonly name = "lblcr";
  private readonly servers: readonly SchedServer[];
  private readonly tier: Tier;
  private readonly key: KeySpec;
  private readonly table: SharedKeyTable;
  private readonly expirationTicks: number;
  private members = new Set<SchedServer>();
  private readonly scratch: SchedServer[] = [];

  constructor(servers: readonly SchedServer[], buffer: SharedArrayBuffer, options: Record<string, unknown>) {
    this.servers = servers;
    this.tier = new Tier(servers);
    this.key = keyOption(options, "host_path");
    const expiration = numberOption(options, "expiration", 86400000);
    this.table = new SharedKeyTable(buffer, expiration, LBLCR_WIDTH);
    this.expirationTicks = Math.ceil(expiration / 10);
    this.update();
  }

  private bit(s: SchedServer): number {
    const i = this.servers.indexOf(s);
    return i >= 0 && i < 31 ? 1 << i : 0;
  }

  /** The set's members still in the serving tier (others are forgotten, as lblcr's dropStale). */
  private members_(mask: number): SchedServer[] {
    const set = this.scratch;
    set.length = 0;
    for (let i = 0; i < this.servers.length && i < 31; i++) {
      const s = this.servers[i]!;
      if (mask & (1 << i) && this.members.has(s)) set.push(s);
    }
    return set;
  }

  private maskOf(set: readonly SchedServer[]): number {
    let m = 0;
    for (const s of set) m |= this.bit(s);
    return m;
  }

  pick(ctx: PickContext): SchedServer | undefined {
    const now = SharedKeyTable.now();
    const id = keyId(ctx, this.key);
    const k = (id ^ Math.floor(id / 4294967296)) | 0;
    const list = this.tier.list;
    return this.table.withEntry(k, now, (w, at, found) => {
      const set = found ? this.members_(w[at + 1]!) : [];
      if (set.length === 0) {
        const s = leastWeighted(list);
        if (s !== undefined && this.bit(s) !== 0) {
          w[at] = k;
          w[at + 1] = this.bit(s);
          w[at + 2] = now;
          w[at + 3] = now;
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
      w[at + 1] = this.maskOf(set);
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
