// ovf: overflow. The highest-weight server takes connections until its active count exceeds its
// weight (IPVS skips a server when active > weight, so it can hold weight + 1), then the next highest
// weight takes the overflow. Nothing is picked once every server is past its weight.

import { available, Tier } from "./tier.ts";
import type { SchedulerDef } from "./options.ts";
import type { PickContext, SchedServer, Scheduler } from "./types.ts";

export class Overflow implements Scheduler {
  readonly name = "ovf";
  private readonly tier: Tier;

  constructor(servers: readonly SchedServer[]) {
    this.tier = new Tier(servers);
  }

  pick(_ctx: PickContext): SchedServer | undefined {
    let best: SchedServer | undefined;
    const list = this.tier.list;
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      if (!available(s) || s.active > s.weight) continue;
      if (best === undefined || s.weight > best.weight) best = s;
    }
    return best;
  }

  update(): void {
    this.tier.refresh();
  }
}

export const ovf: SchedulerDef = {
  name: "ovf",
  summary: "overflow: fill the highest-weight server up to its weight, then the next",
  options: {},
  create: (servers) => new Overflow(servers),
};
