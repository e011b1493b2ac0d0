// mh: Maglev consistent hashing (IPVS mh). O(1) lookup in a prime-sized table (65537 by default);
// a server added or removed moves little more than its own share of keys (the Maglev bound). Servers
// are ordered by id so every node builds the same table whatever the config order. With fallback (the
// default) a down or quiescent server keeps its slots and is probed past, so only its keys move.

import { gcd, rehash } from "./hash.ts";
import { keyHash, type KeySpec, keyOption, keyOptionSpec } from "./key.ts";
import { populateMaglev } from "./maglev.ts";
import { boolOption, numberOption, type SchedulerDef } from "./options.ts";
import { available, Tier } from "./tier.ts";
import type { PickContext, SchedServer, Scheduler } from "./types.ts";

export class MaglevHash implements Scheduler {
  readonly name: string;
  private readonly tier: Tier;
  private readonly key: KeySpec;
  private readonly fallback: boolean;
  private readonly size: number;
  private members: SchedServer[] = [];
  private weights: number[] = [];
  private table: Int32Array;
  private readonly lastWeight = new WeakMap<SchedServer, number>();

  constructor(name: string, servers: readonly SchedServer[], key: KeySpec, fallback: boolean, size: number) {
    this.name = name;
    this.tier = new Tier(servers);
    this.key = key;
    this.fallback = fallback;
    this.size = size;
    this.table = new Int32Array(0);
    this.update();
  }

  pick(ctx: PickContext): SchedServer | undefined {
    if (this.members.length === 0) return undefined;
    const h = keyHash(ctx, this.key, 0);
    const s = this.members[this.table[h % this.size]!]!;
    if (available(s)) return s;
    if (!this.fallback) return undefined;
    const n = this.members.length;
    for (let attempt = 1; attempt <= 32; attempt++) {
      const t = this.members[this.table[rehash(h, attempt) % this.size]!]!;
      if (available(t)) return t;
    }
    for (let i = 0, j = h % n; i < n; i++, j = j + 1 === n ? 0 : j + 1) {
      if (available(this.members[j]!)) return this.members[j];
    }
    return undefined;
  }

  update(): void {
    this.tier.refresh();
    const members: SchedServer[] = [];
    // With fallback a down server keeps its slots and is probed past, so going down and coming back
    // move only its own keys; without fallback its keys would get no server, so it leaves the table.
    for (const s of this.tier.list) if (s.up || this.fallback) members.push(s);
    members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const weights = members.map((s) => {
      if (s.weight > 0) this.lastWeight.set(s, s.weight);
      return s.weight > 0 ? s.weight : (this.lastWeight.get(s) ?? 1);
    });
    const same =
      members.length === this.members.length &&
      members.every((s, i) => s === this.members[i] && weights[i] === this.weights[i]);
    if (same && this.table.length > 0) return;
    this.members = members;
    this.weights = weights;
    this.table = populateMaglev(
      members.map((s) => s.id),
      maglevTurns(weights, this.size),
      this.size,
    );
  }
}

/** Slots per round for each weight: weight / gcd, scaled down if a round would not fit the table. */
export function maglevTurns(weights: readonly number[], size: number): number[] {
  let g = 0;
  for (const w of weights) g = g === 0 ? w : gcd(w, g);
  const turns = weights.map((w) => w / (g || 1));
  const total = turns.reduce((a, b) => a + b, 0);
  const cap = Math.floor(size / 4);
  return total > cap ? turns.map((t) => Math.max(1, Math.floor((t * cap) / total))) : turns;
}

const tableSize = {
  type: "number",
  default: 65537,
  min: 251,
  max: 16777213,
  prime: true,
  doc: "lookup table slots, a prime well above 100 x servers",
} as const;

export const mh: SchedulerDef = {
  name: "mh",
  summary: "Maglev consistent hashing (source address by default)",
  options: {
    key: keyOptionSpec("source"),
    port: { type: "boolean", default: false, doc: "with key = source: hash the source port too" },
    fallback: { type: "boolean", default: true, doc: "rehash past a quiescent or full server" },
    table_size: tableSize,
  },
  create: (servers, options) => {
    const port = boolOption(options, "port", false);
    const key = keyOption(options, "source");
    return new MaglevHash(
      "mh",
      servers,
      port && key.kind === "source" ? { kind: "source_port", name: "" } : key,
      boolOption(options, "fallback", true),
      numberOption(options, "table_size", 65537),
    );
  },
};
