// lc: least connections, weights ignored (weight 0 still quiescent). Ties rotate: the scan starts one
// server further on each pick (see wlc.ts for why IPVS's list order is not enough here).

import { available, Tier } from "./tier.ts";
import type { SchedulerDef } from "./options.ts";
import type { PickContext, SchedServer, Scheduler } from "./types.ts";

export class LeastConnection implements Scheduler {
  readonly name = "lc";
  private readonly tier: Tier;
  private cursor = 0;

  constructor(servers: readonly SchedServer[]) {
    this.tier = new Tier(servers);
  }

  pick(_ctx: PickContext): SchedServer | undefined {
    let least: SchedServer | undefined;
    const list = this.tier.list;
    const n = list.length;
    const start = this.cursor < n ? this.cursor : 0;
    this.cursor = start + 1;
    for (let k = 0; k < n; k++) {
      const s = list[start + k < n ? start + k : start + k - n]!;
      if (available(s) && (least === undefined || s.active < least.active)) least = s;
    }
    return least;
  }

  update(): void {
    this.tier.refresh();
  }
}

export const lc: SchedulerDef = {
  name: "lc",
  summary: "least active connections",
  options: {},
  create: (servers) => new LeastConnection(servers),
};
