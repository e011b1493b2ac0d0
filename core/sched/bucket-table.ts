// The IPVS sh/dh table: a fixed ring of buckets filled in pool order, each server taking `weight`
// consecutive buckets per round. Down and quiescent servers keep their buckets (a pick skips them and,
// with fallback, rehashes), so a server going down or coming back moves only its own keys; only a
// weight or membership change refills the table.

import { rehash } from "./hash.ts";
import { available } from "./tier.ts";
import type { SchedServer } from "./types.ts";

export class BucketTable {
  private buckets: SchedServer[] = [];
  /** Servers and weights the table was filled from, to skip refills that change nothing. */
  private shape: SchedServer[] = [];
  private weights: number[] = [];
  private readonly size: number;
  /** Last positive weight seen per server: draining to 0 keeps the table as it was. */
  private readonly lastWeight = new WeakMap<SchedServer, number>();

  constructor(size: number) {
    this.size = size;
  }

  /** Refill if the servers or their weights differ from the last fill. */
  fill(list: readonly SchedServer[]): void {
    const weights = list.map((s) => this.tableWeight(s));
    if (
      list.length === this.shape.length &&
      list.every((s, i) => s === this.shape[i] && weights[i] === this.weights[i])
    ) {
      return;
    }
    this.shape = list.slice();
    this.weights = weights;
    this.buckets = [];
    if (list.length === 0) return;
    let total = 0;
    for (const w of weights) total += w;
    const scale = total > this.size ? this.size / total : 1;
    const runs = weights.map((w) => Math.max(1, Math.floor(w * scale)));
    let p = 0;
    let count = 0;
    for (let i = 0; i < this.size; i++) {
      this.buckets.push(list[p]!);
      if (++count >= runs[p]!) {
        p = p + 1 === list.length ? 0 : p + 1;
        count = 0;
      }
    }
  }

  /** A quiescent server keeps the buckets of its last positive weight, so draining moves nothing. */
  private tableWeight(s: SchedServer): number {
    if (s.weight > 0) {
      this.lastWeight.set(s, s.weight);
      return s.weight;
    }
    return this.lastWeight.get(s) ?? 1;
  }

  /** The server for hash `h`; with `fallback`, rehash past unavailable ones (bounded). */
  lookup(h: number, fallback: boolean): SchedServer | undefined {
    const b = this.buckets;
    if (b.length === 0) return undefined;
    const s = b[h % b.length]!;
    if (available(s)) return s;
    if (!fallback) return undefined;
    for (let attempt = 1; attempt <= b.length; attempt++) {
      const t = b[rehash(h, attempt) % b.length]!;
      if (available(t)) return t;
      // Past a few dozen misses most of the pool is unavailable: scan it once instead.
      if (attempt === 32) return this.firstAvailable(h);
    }
    return undefined;
  }

  private firstAvailable(h: number): SchedServer | undefined {
    const n = this.shape.length;
    for (let i = 0, j = h % n; i < n; i++, j = j + 1 === n ? 0 : j + 1) {
      const s = this.shape[j]!;
      if (available(s)) return s;
    }
    return undefined;
  }
}
