// wrr: IPVS weighted round robin. A current weight `cw` starts at the maximum weight and steps down
// by the gcd of the weights after each pass over the list; a pass picks every server whose weight is
// at least `cw`. Weights 4/3/2 give A A B A B C A B C: interleaved, not one server's whole share in
// a row. Weight changes recompute max/gcd only; the position in the cycle is kept.

import { gcd } from "./hash.ts";
import { available, Tier } from "./tier.ts";
import type { SchedulerDef } from "./options.ts";
import type { PickContext, SchedServer, Scheduler } from "./types.ts";

export class WeightedRoundRobin implements Scheduler {
  readonly name = "wrr";
  private readonly tier: Tier;
  /** Index of the last server picked; -1 = before the first (IPVS: the list head). */
  protected cl = -1;
  protected cw = 0;
  /** Max weight minus (gcd - 1), as IPVS. */
  protected mw = 0;
  private di = 1;

  constructor(servers: readonly SchedServer[]) {
    this.tier = new Tier(servers);
    this.update();
  }

  pick(_ctx: PickContext): SchedServer | undefined {
    const list = this.tier.list;
    const n = list.length;
    if (this.mw <= 0 || n === 0) return undefined;
    let i = this.cl < n ? this.cl : -1;
    let cw = this.cw;
    // A full cycle visits every server once per cw step; more means nothing is available.
    const limit = n * (Math.floor(this.mw / this.di) + 1) + n;
    for (let step = 0; step < limit; step++) {
      i++;
      if (i >= n) {
        i = 0;
        cw -= this.di;
        if (cw <= 0) cw = this.mw;
      }
      const s = list[i]!;
      if (s.weight >= cw && available(s)) {
        this.cl = i;
        this.cw = cw;
        return s;
      }
    }
    return undefined;
  }

  update(): void {
    if (this.tier.refresh() && this.cl >= this.tier.list.length) this.cl = -1;
    let g = 0;
    let max = 0;
    for (const s of this.tier.list) {
      if (!s.up || s.weight <= 0) continue;
      g = g === 0 ? s.weight : gcd(s.weight, g);
      if (s.weight > max) max = s.weight;
    }
    this.di = g > 0 ? g : 1;
    this.mw = max - (this.di - 1);
    if (this.cw > this.mw || this.cw <= 0) this.cw = this.mw;
    else if (this.di > 1) this.cw = Math.floor(this.cw / this.di) * this.di + 1;
  }
}

export const wrr: SchedulerDef = {
  name: "wrr",
  summary: "weighted round robin, interleaved by gcd stepping as IPVS",
  options: {},
  create: (servers) => new WeightedRoundRobin(servers),
};
