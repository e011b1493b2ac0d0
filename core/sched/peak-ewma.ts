// peak_ewma: least outstanding requests weighted by latency (Finagle/Linkerd's peak EWMA). Each server
// carries a latency estimate fed by done(): a slower sample replaces it at once (peak), a faster one
// is blended in with weight 1 - exp(-dt / decay). Reading it decays it toward zero over time, so a
// server that was slow once gets probed again. Cost = estimate x (inflight + 1) / weight; lowest wins.

import { numberOption, type SchedulerDef } from "./options.ts";
import { available, Tier } from "./tier.ts";
import type { PickContext, SchedServer, Scheduler, SchedulerEnv } from "./types.ts";

export class PeakEwma implements Scheduler {
  readonly name = "peak_ewma";
  private readonly tier: Tier;
  private readonly env: SchedulerEnv;
  private readonly decay: number;
  private readonly initial: number;
  private readonly penalty: number;
  /** Estimate (ms) and when it was last set, per server; survive updates. */
  private readonly cost = new Map<SchedServer, { ewma: number; at: number }>();
  /** Parallel to tier.list, so a pick reads arrays, not the map. */
  private states: Array<{ ewma: number; at: number }> = [];
  /** Estimates decayed to the millisecond `decayedAt`: one exp() per server per ms, not per pick. */
  private decayed = new Float64Array(0);
  private decayedAt = Number.NaN;
  private position = new Map<SchedServer, number>();
  private readonly servers: readonly SchedServer[];

  constructor(
    servers: readonly SchedServer[],
    env: SchedulerEnv,
    decay: number,
    initial: number,
    penalty: number,
  ) {
    this.servers = servers;
    this.tier = new Tier(servers);
    this.env = env;
    this.decay = decay;
    this.initial = initial;
    this.penalty = penalty;
    this.update();
  }

  /** The estimate for state `st` as of `now`. */
  estimate(st: { ewma: number; at: number }, now: number): number {
    const dt = now - st.at;
    return dt > 0 ? st.ewma * Math.exp(-dt / this.decay) : st.ewma;
  }

  pick(_ctx: PickContext): SchedServer | undefined {
    const now = this.env.now();
    const list = this.tier.list;
    const tick = Math.floor(now);
    if (tick !== this.decayedAt) {
      for (let i = 0; i < list.length; i++) this.decayed[i] = this.estimate(this.states[i]!, now);
      this.decayedAt = tick;
    }
    let best: SchedServer | undefined;
    let bestCost = 0;
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      if (!available(s)) continue;
      const c = ((this.decayed[i]! + 1e-3) * (s.inflight + 1)) / s.weight;
      if (best === undefined || c < bestCost || (c === bestCost && s.inflight < best.inflight)) {
        best = s;
        bestCost = c;
      }
    }
    return best;
  }

  done(server: SchedServer, latencyMs: number, ok: boolean): void {
    const st = this.cost.get(server);
    if (!st) return;
    const now = this.env.now();
    const sample = ok ? Math.max(0, latencyMs) : Math.max(latencyMs, this.penalty);
    const prev = this.estimate(st, now);
    if (sample > prev) st.ewma = sample;
    else {
      const w = Math.exp(-Math.max(0, now - st.at) / this.decay);
      st.ewma = prev * w + sample * (1 - w);
    }
    st.at = now;
    const i = this.position.get(server);
    if (i !== undefined) this.decayed[i] = st.ewma;
  }

  update(): void {
    this.tier.refresh();
    const now = this.env.now();
    for (const s of this.tier.list) {
      if (!this.cost.has(s)) this.cost.set(s, { ewma: this.initial, at: now });
    }
    this.states = this.tier.list.map((s) => this.cost.get(s)!);
    this.position = new Map(this.tier.list.map((s, i) => [s, i]));
    this.decayed = new Float64Array(this.states.length);
    this.decayedAt = Number.NaN;
    // Forget servers that left the pool (backups out of service keep theirs).
    for (const s of [...this.cost.keys()]) if (!this.servers.includes(s)) this.cost.delete(s);
  }
}

export const peakEwma: SchedulerDef = {
  name: "peak_ewma",
  summary: "least outstanding requests weighted by peak-EWMA latency (needs done())",
  options: {
    decay: {
      type: "number",
      default: 10000,
      min: 1,
      max: 3600000,
      doc: "ms for an old sample to fade to 1/e",
    },
    initial_latency: {
      type: "number",
      default: 1,
      min: 0,
      max: 3600000,
      doc: "ms assumed before any sample",
    },
    failure_penalty: {
      type: "number",
      default: 1000,
      min: 0,
      max: 3600000,
      doc: "ms counted for a failed exchange",
    },
  },
  create: (servers, options, env) =>
    new PeakEwma(
      servers,
      env,
      numberOption(options, "decay", 10000),
      numberOption(options, "initial_latency", 1),
      numberOption(options, "failure_penalty", 1000),
    ),
};
