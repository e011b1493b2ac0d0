// twos: power of two choices. Two servers drawn at random in proportion to weight (Vose's alias
// method: O(1) a draw); the one with fewer active connections per unit of weight wins. Avoids the
// herd behaviour of plain least-connection when many balancers share stale counts.

import { available, Tier } from "./tier.ts";
import { leastWeighted } from "./wlc.ts";
import type { SchedulerDef } from "./options.ts";
import type { PickContext, SchedServer, Scheduler, SchedulerEnv } from "./types.ts";

export class TwoChoices implements Scheduler {
  readonly name = "twos";
  private readonly tier: Tier;
  private readonly env: SchedulerEnv;
  private members: SchedServer[] = [];
  private prob = new Float64Array(0);
  private alias = new Int32Array(0);

  constructor(servers: readonly SchedServer[], env: SchedulerEnv) {
    this.tier = new Tier(servers);
    this.env = env;
    this.update();
  }

  private draw(): SchedServer {
    const n = this.members.length;
    const u = this.env.random() * n;
    const k = Math.min(n - 1, Math.floor(u));
    return this.members[u - k < this.prob[k]! ? k : this.alias[k]!]!;
  }

  pick(_ctx: PickContext): SchedServer | undefined {
    if (this.members.length === 0) return undefined;
    for (let attempt = 0; attempt < 4; attempt++) {
      const a = this.draw();
      const b = this.draw();
      const okA = available(a);
      const okB = available(b);
      if (okA && okB) return b.active * a.weight < a.active * b.weight ? b : a;
      if (okA) return a;
      if (okB) return b;
    }
    // Mostly full or quiescent: settle it deterministically.
    return leastWeighted(this.members);
  }

  update(): void {
    this.tier.refresh();
    const members = this.tier.list.filter((s) => s.up && s.weight > 0);
    const n = members.length;
    const prob = new Float64Array(n);
    const alias = new Int32Array(n);
    let sum = 0;
    for (const s of members) sum += s.weight;
    const scaled = members.map((s) => (s.weight * n) / sum);
    const small: number[] = [];
    const large: number[] = [];
    for (let i = 0; i < n; i++) (scaled[i]! < 1 ? small : large).push(i);
    while (small.length > 0 && large.length > 0) {
      const s = small.pop()!;
      const l = large.pop()!;
      prob[s] = scaled[s]!;
      alias[s] = l;
      scaled[l] = scaled[l]! + scaled[s]! - 1;
      (scaled[l]! < 1 ? small : large).push(l);
    }
    for (const i of large) prob[i] = 1;
    for (const i of small) prob[i] = 1;
    this.members = members;
    this.prob = prob;
    this.alias = alias;
  }
}

export const twos: SchedulerDef = {
  name: "twos",
  summary: "two weighted-random picks, the less loaded per weight wins",
  options: {},
  create: (servers, _options, env) => new TwoChoices(servers, env),
};
