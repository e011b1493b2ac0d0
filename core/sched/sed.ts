// sed: shortest expected delay, (active + 1) / weight: the delay a new connection would see if every
// server worked through its queue at a speed proportional to its weight.

import { available, Tier } from "./tier.ts";
import type { SchedulerDef } from "./options.ts";
import type { PickContext, SchedServer, Scheduler } from "./types.ts";

/** The available server of `list` with the least (active + 1)/weight; ties to the earlier one. */
export function shortestExpectedDelay(list: readonly SchedServer[]): SchedServer | undefined {
  let least: SchedServer | undefined;
  for (let i = 0; i < list.length; i++) {
    const s = list[i]!;
    if (!available(s)) continue;
    if (least === undefined || (least.active + 1) * s.weight > (s.active + 1) * least.weight) least = s;
  }
  return least;
}

export class ShortestExpectedDelay implements Scheduler {
  readonly name = "sed";
  private readonly tier: Tier;

  constructor(servers: readonly SchedServer[]) {
    this.tier = new Tier(servers);
  }

  pick(_ctx: PickContext): SchedServer | undefined {
    return shortestExpectedDelay(this.tier.list);
  }

  update(): void {
    this.tier.refresh();
  }
}

export const sed: SchedulerDef = {
  name: "sed",
  summary: "shortest expected delay, (active + 1) / weight",
  options: {},
  create: (servers) => new ShortestExpectedDelay(servers),
};
