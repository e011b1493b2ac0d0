// Source-address persistence around any scheduler (LVS persistence_timeout): a client address, masked
// to persistence_granularity, keeps going to the server it was first given until `timeout` ms pass
// without a pick for it. A persisted server that is down, full, out of the pool or no longer in the
// serving tier (a backup once a primary is back) is replaced. A quiescent one (weight 0) keeps its
// clients, as LVS does, unless expire_quiescent is set (the kernel's expire_quiescent_template).

import { ipKey, type Granularity } from "./ip-key.ts";
import { LocalityTable } from "./locality.ts";
import { available, reachable, Tier } from "./tier.ts";
import type { PickContext, SchedServer, Scheduler, SchedulerEnv } from "./types.ts";

interface Entry {
  server: SchedServer;
  lastUse: number;
}

export interface PersistenceOptions {
  timeout: number;
  granularity: Granularity;
  maxEntries: number;
  expireQuiescent: boolean;
}

export class Persistence implements Scheduler {
  readonly name: string;
  readonly inner: Scheduler;
  readonly table: LocalityTable<Entry>;
  private readonly servers: readonly SchedServer[];
  private readonly tier: Tier;
  private readonly env: SchedulerEnv;
  private readonly opts: PersistenceOptions;
  private members: Set<SchedServer>;

  constructor(
    inner: Scheduler,
    servers: readonly SchedServer[],
    env: SchedulerEnv,
    opts: PersistenceOptions,
  ) {
    this.name = inner.name;
    this.inner = inner;
    this.servers = servers;
    this.tier = new Tier(servers);
    this.env = env;
    this.opts = opts;
    this.table = new LocalityTable(opts.maxEntries, opts.timeout);
    this.members = new Set(servers);
  }

  /** Whether a persisted client may still go to `s`. */
  private keeps(s: SchedServer): boolean {
    if (!this.members.has(s) || !this.tier.serves(s)) return false;
    return this.opts.expireQuiescent ? available(s) : reachable(s);
  }

  pick(ctx: PickContext): SchedServer | undefined {
    const now = this.env.now();
    const { v4Mask, v6Prefix } = this.opts.granularity;
    const k = ipKey(ctx.sourceIp, v4Mask, v6Prefix);
    const e = this.table.get(k, now);
    if (e !== undefined && this.keeps(e.server)) return e.server;
    const s = this.inner.pick(ctx);
    if (s === undefined) return undefined;
    if (e !== undefined) e.server = s;
    else this.table.add(k, { server: s, lastUse: now }, now);
    return s;
  }

  update(): void {
    this.tier.refresh();
    this.members = new Set(this.servers);
    this.inner.update();
  }

  done(server: SchedServer, latencyMs: number, ok: boolean): void {
    this.inner.done?.(server, latencyMs, ok);
  }
}
