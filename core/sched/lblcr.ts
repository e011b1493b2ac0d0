// lblcr: locality-based least connection with replication (IPVS lblcr). Each key maps to a set of
// servers and goes to the least loaded member. When that member is overloaded (kernel rule) the
// weighted-least-connection server of the pool joins the set, so a hot key spreads; once the set has
// not grown for `expiration` ms its most loaded member is dropped (one per period), shrinking it
// back as the load goes. Unused keys expire after `expiration` ms too.

import { keyId, type KeySpec, keyOption } from "./key.ts";
import { localityOptions } from "./lblc.ts";
import { isOverloaded, LocalityTable } from "./locality.ts";
import { numberOption, type SchedulerDef } from "./options.ts";
import { available, Tier } from "./tier.ts";
import type { PickContext, SchedServer, Scheduler, SchedulerEnv } from "./types.ts";
import { leastWeighted } from "./wlc.ts";

interface Entry {
  set: SchedServer[];
  lastUse: number;
  /** When the set last grew or was trimmed. */
  lastMod: number;
}

export class LocalityReplicated implements Scheduler {
  readonly name = "lblcr";
  private readonly tier: Tier;
  private readonly env: SchedulerEnv;
  private readonly key: KeySpec;
  private readonly expiration: number;
  readonly table: LocalityTable<Entry>;
  private members = new Set<SchedServer>();

  constructor(
    servers: readonly SchedServer[],
    env: SchedulerEnv,
    key: KeySpec,
    max: number,
    expiration: number,
  ) {
    this.tier = new Tier(servers);
    this.env = env;
    this.key = key;
    this.expiration = expiration;
    this.table = new LocalityTable(max, expiration);
    this.update();
  }

  pick(ctx: PickContext): SchedServer | undefined {
    const now = this.env.now();
    const k = keyId(ctx, this.key);
    const list = this.tier.list;
    const e = this.table.get(k, now);
    if (e === undefined) {
      const s = leastWeighted(list);
      if (s !== undefined) this.table.add(k, { set: [s], lastUse: now, lastMod: now }, now);
      return s;
    }
    this.dropStale(e);
    const least = this.setMin(e.set);
    if (e.set.length > 1 && now - e.lastMod > this.expiration) {
      const most = this.setMax(e.set);
      if (most !== least) {
        e.set.splice(e.set.indexOf(most), 1);
        e.lastMod = now;
      }
    }
    if (least !== undefined && !isOverloaded(least, list)) return least;
    const s = leastWeighted(list);
    if (s === undefined) return least;
    if (!e.set.includes(s)) {
      e.set.push(s);
      e.lastMod = now;
    }
    return s;
  }

  /** Members that left the serving tier are forgotten. */
  private dropStale(e: Entry): void {
    for (let i = e.set.length - 1; i >= 0; i--) if (!this.members.has(e.set[i]!)) e.set.splice(i, 1);
  }

  private setMin(set: readonly SchedServer[]): SchedServer | undefined {
    return leastWeighted(set);
  }

  /** The member to drop: an unavailable one first, else the most loaded per weight. */
  private setMax(set: readonly SchedServer[]): SchedServer {
    let most = set[0]!;
    for (let i = 1; i < set.length; i++) {
      const s = set[i]!;
      if (!available(most)) break;
      if (!available(s) || s.active * most.weight > most.active * s.weight) most = s;
    }
    return most;
  }

  update(): void {
    this.tier.refresh();
    this.members = new Set(this.tier.list);
  }
}

export const lblcr: SchedulerDef = {
  name: "lblcr",
  summary: "locality-based least connection with replication (Host + path by default)",
  options: localityOptions("host_path"),
  create: (servers, options, env) =>
    new LocalityReplicated(
      servers,
      env,
      keyOption(options, "host_path"),
      numberOption(options, "table_size", 65536),
      numberOption(options, "expiration", 86400000),
    ),
};
