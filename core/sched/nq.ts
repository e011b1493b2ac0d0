// nq: never queue. The first idle server (no active connections) in pool order wins outright, even a
// light one; when none is idle it behaves as sed.

import { available, Tier } from "./tier.ts";
import type { SchedulerDef } from "./options.ts";
import type { PickContext, SchedServer, Scheduler } from "./types.ts";

export class NeverQueue implements Scheduler {
  readonly name = "nq";
  private readonly tier: Tier;

  constructor(servers: readonly SchedServer[]) {
    this.tier = new Tier(servers);
  }

  pick(_ctx: PickContext): SchedServer | undefined {
    let least: SchedServer | undefined;
    const list = this.tier.list;
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      if (!available(s)) continue;
      if (s.active === 0) return s;
      if (least === undefined || (least.active + 1) * s.weight > (s.active + 1) * least.weight) least = s;
    }
    return least;
  }

  update(): void {
    this.tier.refresh();
  }
}

export const nq: SchedulerDef = {
  name: "nq",
  summary: "never queue: an idle server if any, else shortest expected delay",
  options: {},
  create: (servers) => new NeverQueue(servers),
};
