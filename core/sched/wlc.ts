// wlc (the default): least active/weight, compared by cross-multiplying so no division is needed.
// IPVS breaks ties by list order, but it also counts inactive connections, which spreads load; here
// `active` counts only live exchanges, so at light load every pick would tie at zero and the first
// server would take everything. The scan therefore starts one server further on each pick: ties
// rotate (as HAProxy's leastconn does within a load group) and a clear winner still wins.

import { available, Tier } from "./tier.ts";
import type { SchedulerDef } from "./options.ts";
import type { PickContext, SchedServer, Scheduler } from "./types.ts";

/** The available server of `list` with the least active/weight (ties: the first from `start`). */
export function leastWeighted(list: readonly SchedServer[], start = 0): SchedServer | undefined {
  let least: SchedServer | undefined;
  const n = list.length;
  for (let k = 0; k < n; k++) {
    const i = start + k < n ? start + k : start + k - n;
    const s = list[i]!;
    if (!available(s)) continue;
    if (least === undefined || least.active * s.weight > s.active * least.weight) least = s;
  }
  return least;
}

export class WeightedLeastConnection implements Scheduler {
  readonly name = "wlc";
  private readonly tier: Tier;
  private cursor = 0;

  constructor(servers: readonly SchedServer[]) {
    this.tier = new Tier(servers);
  }

  pick(_ctx: PickContext): SchedServer | undefined {
    const list = this.tier.list;
    const start = this.cursor < list.length ? this.cursor : 0;
    this.cursor = start + 1;
    return leastWeighted(list, start);
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
