// swrr: smooth weighted round robin (nginx's upstream algorithm). IPVS's wrr sends a heavy server its
// whole share in a burst when one weight dominates (5/1/1: A A A A A B C); smooth wrr spreads the same
// shares evenly (5/1/1: A A B A C A A). Each round adds every server's weight to its running credit
// and picks the highest, which then pays back the total. The round is precomputed into a table at
// update() so a pick is O(1); unavailable servers in the table are stepped over.

import { available, Tier } from "./tier.ts";
import type { SchedulerDef } from "./options.ts";
import type { PickContext, SchedServer, Scheduler } from "./types.ts";

/** Above this many slots per round, picks fall back to computing the credits live (O(n)). */
const MAX_TABLE = 1 << 16;

export class SmoothWeightedRoundRobin implements Scheduler {
  readonly name = "swrr";
  private readonly tier: Tier;
  private table: Int32Array = new Int32Array(0);
  private pos = 0;
  private credit: Float64Array = new Float64Array(0);

  constructor(servers: readonly SchedServer[]) {
    this.tier = new Tier(servers);
    this.update();
  }

  pick(_ctx: PickContext): SchedServer | undefined {
    const list = this.tier.list;
    if (this.table.length === 0) return this.pickLive(list);
    for (let n = 0; n < this.table.length; n++) {
      const s = list[this.table[this.pos]!]!;
      this.pos = this.pos + 1 === this.table.length ? 0 : this.pos + 1;
      if (available(s)) return s;
    }
    return undefined;
  }

  /** One step of the credit algorithm over the servers available now. */
  private pickLive(list: SchedServer[]): SchedServer | undefined {
    let total = 0;
    let best = -1;
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      if (!available(s)) continue;
      this.credit[i]! += s.weight;
      total += s.weight;
      if (best < 0 || this.credit[i]! > this.credit[best]!) best = i;
    }
    if (best < 0) return undefined;
    this.credit[best]! -= total;
    return list[best];
  }

  update(): void {
    this.tier.refresh();
    const list = this.tier.list;
    this.credit = new Float64Array(list.length);
    let total = 0;
    for (const s of list) if (s.up && s.weight > 0) total += s.weight;
    if (total === 0 || total > MAX_TABLE) {
      this.table = new Int32Array(0);
      return;
    }
    const table = new Int32Array(total);
    const credit = new Float64Array(list.length);
    for (let slot = 0; slot < total; slot++) {
      let best = -1;
      for (let i = 0; i < list.length; i++) {
        const s = list[i]!;
        if (!s.up || s.weight <= 0) continue;
        credit[i]! += s.weight;
        if (best < 0 || credit[i]! > credit[best]!) best = i;
      }
      credit[best]! -= total;
      table[slot] = best;
    }
    this.table = table;
    if (this.pos >= total) this.pos = 0;
  }
}

export const swrr: SchedulerDef = {
  name: "swrr",
  summary: "smooth weighted round robin (nginx): the same shares as wrr, spread evenly, no bursts",
  options: {},
  create: (servers) => new SmoothWeightedRoundRobin(servers),
};
