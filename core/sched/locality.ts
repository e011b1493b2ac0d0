// Shared by lblc and lblcr: the kernel's overload rule and the bounded, expiring key table.

import { available } from "./tier.ts";
import type { SchedServer } from "./types.ts";

/**
 * IPVS's rule: a server is overloaded when it has more active connections than its weight AND some
 * server in the pool is below half its weight, i.e. there is somewhere better to send the key.
 */
export function isOverloaded(s: SchedServer, list: readonly SchedServer[]): boolean {
  if (s.active <= s.weight) return false;
  for (let i = 0; i < list.length; i++) {
    const d = list[i]!;
    if (available(d) && d.active * 2 < d.weight) return true;
  }
  return false;
}

/** Map with a size bound and idle expiry, oldest use first (entries move to the end on use). */
export class LocalityTable<E extends { lastUse: number }> {
  readonly map = new Map<number, E>();
  private readonly max: number;
  private readonly expiration: number;

  constructor(max: number, expiration: number) {
    this.max = max;
    this.expiration = expiration;
  }

  /** The live entry for `key` (touched), or undefined; an expired one is dropped. */
  get(key: number, now: number): E | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    if (now - e.lastUse > this.expiration) {
      this.map.delete(key);
      return undefined;
    }
    e.lastUse = now;
    this.map.delete(key);
    this.map.set(key, e);
    return e;
  }

  /** Insert a new entry, first dropping expired ones and, if still full, the least recently used. */
  add(key: number, e: E, now: number): void {
    this.sweep(now);
    if (this.map.size >= this.max) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    e.lastUse = now;
    this.map.set(key, e);
  }

  /** Drop expired entries; they sit at the front because every use moves an entry to the end. */
  sweep(now: number): void {
    for (const [k, e] of this.map) {
      if (now - e.lastUse <= this.expiration) break;
      this.map.delete(k);
    }
  }
}
