// lblc: locality-based least connection (IPVS lblc). Each key (Host + path by default; IPVS uses the
// destination address) sticks to the server it was first given, while that server is available and
// not overloaded by the kernel's rule; otherwise the key is rescheduled to the weighted-least-
// connection server. Entries expire after `expiration` ms unused; the table holds `table_size` keys.

import { keyId, type KeySpec, keyOption, keyOptionSpec } from "./key.ts";
import { isOverloaded, LocalityTable } from "./locality.ts";
import { numberOption, type OptionSpec, type SchedulerDef } from "./options.ts";
import { available, Tier } from "./tier.ts";
import type { PickContext, SchedServer, Scheduler, SchedulerEnv } from "./types.ts";
import { leastWeighted } from "./wlc.ts";

interface Entry {
  server: SchedServer;
  lastUse: number;
}

export class LocalityLeastConnection implements Scheduler {
  readonly name = "lblc";
  private readonly tier: Tier;
  private readonly env: SchedulerEnv;
  private readonly key: KeySpec;
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
    this.table = new LocalityTable(max, expiration);
    this.update();
  }

  pick(ctx: PickContext): SchedServer | undefined {
    const now = this.env.now();
    const k = keyId(ctx, this.key);
    const list = this.tier.list;
    const e = this.table.get(k, now);
    if (e && this.members.has(e.server) && available(e.server) && !isOverloaded(e.server, list))
      return e.server;
    const s = leastWeighted(list);
    if (s === undefined) return undefined;
    if (e) e.server = s;
    else this.table.add(k, { server: s, lastUse: now }, now);
    return s;
  }

  update(): void {
    this.tier.refresh();
    this.members = new Set(this.tier.list);
  }
}

export const localityOptions = (dflt: string): Record<string, OptionSpec> => ({
  key: keyOptionSpec(dflt),
  expiration: {
    type: "number",
    default: 86400000,
    min: 1000,
    max: 30 * 86400000,
    doc: "ms an unused key is kept",
  },
  table_size: {
    type: "number",
    default: 65536,
    min: 1,
    max: 1 << 24,
    integer: true,
    doc: "most keys remembered",
  },
});

export const lblc: SchedulerDef = {
  name: "lblc",
  summary: "locality-based least connection (Host + path by default)",
  options: localityOptions("host_path"),
  create: (servers, options, env) =>
    new LocalityLeastConnection(
      servers,
      env,
      keyOption(options, "host_path"),
      numberOption(options, "table_size", 65536),
      numberOption(options, "expiration", 86400000),
    ),
};
