// chbl: consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam 2018). Keys sit on a
// ring of virtual nodes; a key walks clockwise past any server whose active count would exceed
// ceil(c x (total + 1) x weight / sum of weights), c = `load_factor`. Hot keys spill to neighbours
// instead of melting one server; when loads are even each key stays on its own server. Down servers
// keep their ring points and are walked past, so only their keys move.

import { fnvInt, fnvStart, fnvString, fmix32 } from "./hash.ts";
import { keyHash, type KeySpec, keyOption, keyOptionSpec } from "./key.ts";
import { numberOption, type SchedulerDef } from "./options.ts";
import { available, Tier } from "./tier.ts";
import type { PickContext, SchedServer, Scheduler } from "./types.ts";

const INDEX_BITS = 16;
const MAX_POINTS = 1 << 20;

export class BoundedLoadHash implements Scheduler {
  readonly name = "chbl";
  private readonly tier: Tier;
  private readonly key: KeySpec;
  private readonly factor: number;
  private readonly replicas: number;
  private members: SchedServer[] = [];
  private weights: number[] = [];
  /** Sorted ring positions and the member index owning each. */
  private points = new Uint32Array(0);
  private owners = new Int32Array(0);
  /** First ring index whose position is >= bucket << (32 - INDEX_BITS): O(1) ring search. */
  private index = new Int32Array((1 << INDEX_BITS) + 1);
  private readonly lastWeight = new WeakMap<SchedServer, number>();

  constructor(servers: readonly SchedServer[], key: KeySpec, factor: number, replicas: number) {
    this.tier = new Tier(servers);
    this.key = key;
    this.factor = factor;
    this.replicas = replicas;
    this.update();
  }

  /** The most active connections `s` may hold after this pick. */
  bound(s: SchedServer, total: number, sumWeights: number): number {
    return Math.ceil((this.factor * (total + 1) * s.weight) / sumWeights);
  }

  pick(ctx: PickContext): SchedServer | undefined {
    const n = this.points.length;
    if (n === 0) return undefined;
    // The bound needs the pool's total load; the switch keeps per-server counts only, so sum them.
    let total = 0;
    let sumWeights = 0;
    const list = this.tier.list;
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      if (s.up && s.weight > 0) {
        total += s.active;
        sumWeights += s.weight;
      }
    }
    if (sumWeights === 0) return undefined;
    const h = keyHash(ctx, this.key, 0);
    let p = this.index[h >>> (32 - INDEX_BITS)]!;
    while (p < n && this.points[p]! < h) p++;
    for (let step = 0; step < n; step++, p++) {
      if (p >= n) p = 0;
      const s = this.members[this.owners[p]!]!;
      if (available(s) && s.active + 1 <= this.bound(s, total, sumWeights)) return s;
    }
    return undefined;
  }

  update(): void {
    this.tier.refresh();
    const members = this.tier.list.slice();
    const weights = members.map((s) => {
      if (s.weight > 0) this.lastWeight.set(s, s.weight);
      return s.weight > 0 ? s.weight : (this.lastWeight.get(s) ?? 1);
    });
    const same =
      members.length === this.members.length &&
      members.every((s, i) => s === this.members[i] && weights[i] === this.weights[i]);
    if (same && this.points.length > 0) return;
    this.members = members;
    this.weights = weights;
    this.build();
  }

  private build(): void {
    let want = 0;
    for (const w of this.weights) want += w * this.replicas;
    const scale = want > MAX_POINTS ? MAX_POINTS / want : 1;
    const counts = this.weights.map((w) => Math.max(1, Math.floor(w * this.replicas * scale)));
    // Pack (position, owner) into one double (2^32 x 2^16 < 2^53; pools stay far below 65536
    // servers) so a native typed-array sort orders the ring.
    const packed = new Float64Array(counts.reduce((a, b) => a + b, 0));
    let at = 0;
    this.members.forEach((s, i) => {
      const base = fnvString(fnvStart(0x27d4eb2f), s.id);
      // Point k of a server depends only on its id and k: weight changes add or drop its own points.
      for (let k = 0; k < counts[i]!; k++) packed[at++] = fmix32(fnvInt(base, k)) * 65536 + i;
    });
    packed.sort();
    this.points = new Uint32Array(packed.length);
    this.owners = new Int32Array(packed.length);
    for (let j = 0; j < packed.length; j++) {
      this.points[j] = Math.floor(packed[j]! / 65536);
      this.owners[j] = packed[j]! % 65536;
    }
    const buckets = 1 << INDEX_BITS;
    let p = 0;
    for (let b = 0; b <= buckets; b++) {
      const start = b * 2 ** (32 - INDEX_BITS);
      while (p < this.points.length && this.points[p]! < start) p++;
      this.index[b] = p;
    }
  }
}

export const chbl: SchedulerDef = {
  name: "chbl",
  summary: "consistent hashing with bounded loads (URI by default)",
  options: {
    key: keyOptionSpec("uri"),
    load_factor: { type: "number", default: 1.25, min: 1, max: 100, doc: "c: no server above c x average" },
    replicas: {
      type: "number",
      default: 40,
      min: 1,
      max: 1000,
      integer: true,
      doc: "ring points per weight unit",
    },
  },
  create: (servers, options) =>
    new BoundedLoadHash(
      servers,
      keyOption(options, "uri"),
      numberOption(options, "load_factor", 1.25),
      numberOption(options, "replicas", 100),
    ),
};
