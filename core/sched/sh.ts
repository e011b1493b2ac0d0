// sh: source hashing (IPVS sh). The client address, or address and port with `port = true`, picks a
// bucket of a fixed table; `fallback` (on by default) rehashes past a down, quiescent or full server,
// so only that server's clients move. A rule's capture group (hashKey) replaces the address.

import { BucketTable } from "./bucket-table.ts";
import { keyHash, type KeySpec, keyOption } from "./key.ts";
import { boolOption, numberOption, type SchedulerDef } from "./options.ts";
import { Tier } from "./tier.ts";
import type { PickContext, SchedServer, Scheduler } from "./types.ts";

export class SourceHash implements Scheduler {
  readonly name: string;
  private readonly tier: Tier;
  private readonly table: BucketTable;
  private readonly key: KeySpec;
  private readonly fallback: boolean;

  constructor(name: string, servers: readonly SchedServer[], key: KeySpec, fallback: boolean, size: number) {
    this.name = name;
    this.tier = new Tier(servers);
    this.key = key;
    this.fallback = fallback;
    this.table = new BucketTable(size);
    this.table.fill(this.tier.list);
  }

  pick(ctx: PickContext): SchedServer | undefined {
    return this.table.lookup(keyHash(ctx, this.key, 0), this.fallback);
  }

  update(): void {
    this.tier.refresh();
    this.table.fill(this.tier.list);
  }
}

export const sh: SchedulerDef = {
  name: "sh",
  summary: "source address hash over a bucket table, with fallback",
  options: {
    port: { type: "boolean", default: false, doc: "hash the source port too" },
    fallback: { type: "boolean", default: true, doc: "rehash past a down, quiescent or full server" },
    table_size: { type: "number", default: 4096, min: 16, max: 1 << 20, integer: true, doc: "buckets" },
  },
  create: (servers, options) =>
    new SourceHash(
      "sh",
      servers,
      keyOption({ key: boolOption(options, "port", false) ? "source_port" : "source" }, "source"),
      boolOption(options, "fallback", true),
      numberOption(options, "table_size", 4096),
    ),
};
