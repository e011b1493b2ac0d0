// wlc (the default): least active/weight, compared by cross-multiplying so no division is needed.
// Ties go to the earlier server, as IPVS.

import { available, Tier } from "./tier.ts";
import type { SchedulerDef } from "./options.ts";
import type { PickContext, SchedServer, Scheduler } from "./types.ts";

/** The available server of `list` with the least active/weight, or undefined. */
export function leastWeighted(list: readonly SchedServer[]): SchedServer | undefined {
  let least: SchedServer | undefined;
  for (let i = 0; i < list.length; i++) {
    const s = list[i]!;
    if (!available(s)) continue;
    if (least === undefined || least.active * s.weight > s.active * least.weight) least = s;
  }
  return least;
}

export class WeightedLeastConnection implements Scheduler {
  readonly name = "wlc";
  private readonly tier: Tier;

  constructor(servers: readonly SchedServer[]) {
    this.tier = new Tier(servers);
  }

  pick(_ctx: PickContext): SchedServer | undefined {
    return leastWeighted(this.tier.list);
  }

  update(): void {
    this.tier.refresh();
  }
}

export const wlc: SchedulerDef = {
  name: "wlc",
  summary: "least active connections per unit of weight (the default)",
  options: {},
  create: (servers) => new WeightedLeastConnection(servers),
};
