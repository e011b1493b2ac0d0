// fo: weighted failover. Everything goes to the available server with the highest weight (the earlier
// one on a tie); the next one takes over only when it is down, quiescent or full.

import { available, Tier } from "./tier.ts";
import type { SchedulerDef } from "./options.ts";
import type { PickContext, SchedServer, Scheduler } from "./types.ts";

export class WeightedFailover implements Scheduler {
  readonly name = "fo";
  private readonly tier: Tier;

  constructor(servers: readonly SchedServer[]) {
    this.tier = new Tier(servers);
  }

  pick(_ctx: PickContext): SchedServer | undefined {
    let best: SchedServer | undefined;
    const list = this.tier.list;
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      if (available(s) && (best === undefined || s.weight > best.weight)) best = s;
    }
    return best;
  }

  update(): void {
    this.tier.refresh();
  }
}

export const fo: SchedulerDef = {
  name: "fo",
  summary: "failover: the available server with the highest weight",
  options: {},
  create: (servers) => new WeightedFailover(servers),
};
