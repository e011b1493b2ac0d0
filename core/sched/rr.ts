// rr: round robin over the available servers of the serving tier, ignoring weights (but weight 0 is
// still quiescent), like IPVS rr. The cursor survives updates so a weight change does not reset it.

import { available, Tier } from "./tier.ts";
import type { SchedulerDef } from "./options.ts";
import type { PickContext, SchedServer, Scheduler } from "./types.ts";

export class RoundRobin implements Scheduler {
  readonly name = "rr";
  private readonly tier: Tier;
  protected next = 0;

  constructor(servers: readonly SchedServer[]) {
    this.tier = new Tier(servers);
  }

  pick(_ctx: PickContext): SchedServer | undefined {
    const list = this.tier.list;
    const n = list.length;
    if (this.next >= n) this.next = 0;
    for (let i = 0, j = this.next; i < n; i++, j = j + 1 === n ? 0 : j + 1) {
      const s = list[j]!;
      if (available(s)) {
        this.next = j + 1 === n ? 0 : j + 1;
        return s;
      }
    }
    return undefined;
  }

  update(): void {
    this.tier.refresh();
  }
}

export const rr: SchedulerDef = {
  name: "rr",
  summary: "round robin, weights ignored",
  options: {},
  create: (servers) => new RoundRobin(servers),
};
