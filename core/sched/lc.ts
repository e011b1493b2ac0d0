// lc: least connections, weights ignored (weight 0 still quiescent). Ties go to the earlier server in
// pool order, as IPVS.

import { available, Tier } from "./tier.ts";
import type { SchedulerDef } from "./options.ts";
import type { PickContext, SchedServer, Scheduler } from "./types.ts";

export class LeastConnection implements Scheduler {
  readonly name = "lc";
  private readonly tier: Tier;

  constructor(servers: readonly SchedServer[]) {
    this.tier = new Tier(servers);
  }

  pick(_ctx: PickContext): SchedServer | undefined {
    let least: SchedServer | undefined;
    const list = this.tier.list;
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
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
