// Per-key request rates (GCRA, the leaky bucket as a meter): one number per key, the time at which
// its bucket is empty again. Keys live in a Map used as an LRU (touched keys move to the end), bounded
// by maxKeys. The interface is what the switch calls, so a limiter shared by workers can replace this
// one without the callers changing.

export interface RateLimiter {
  /** Count one request for `key` at `now` (ms): 0 when allowed, else the ms until one would be. */
  take(key: string, now: number): number;
  /** Keys currently kept. */
  readonly size: number;
}

/** The rule both limiters apply: `count` requests per `ms`, plus `burst` at once. */
export class Gcra {
  /** Time one request is worth. */
  readonly step: number;
  /** How far ahead of now a bucket may run: a full bucket holds count + burst requests. */
  readonly slack: number;

  constructor(count: number, ms: number, burst: number) {
    this.step = ms / count;
    this.slack = ms + burst * this.step - this.step;
  }

  /**
   * One request at `now` against a bucket whose theoretical arrival time is `tat` (anything below now,
   * -Infinity included, is an empty bucket): the new tat when allowed, else minus the ms to wait.
   */
  next(tat: number, now: number): number {
    const t = Math.max(tat, now);
    return t - now > this.slack ? now + this.slack - t : t + this.step;
  }

  /** After this long unused a bucket is empty again: its key may be forgotten. */
  get memoryMs(): number {
    return this.slack + this.step;
  }
}

/** `count` requests per `ms`, plus `burst` at once; one process's counters. */
export class LocalRateLimiter implements RateLimiter {
  private readonly keys = new Map<string, number>();
  private readonly gcra: Gcra;
  private readonly maxKeys: number;
  /** The key last moved to the end of `keys`. */
  private newest: string | undefined = undefined;

  constructor(count: number, ms: number, burst: number, maxKeys: number) {
    this.gcra = new Gcra(count, ms, burst);
    this.maxKeys = maxKeys;
  }

  get size(): number {
    return this.keys.size;
  }

  take(key: string, now: number): number {
    const keys = this.keys;
    const had = keys.get(key);
    const tat = this.gcra.next(had ?? now, now);
    if (tat < 0) return -tat;
    if (key === this.newest) {
      // Already the most recently used: updated where it stands (a busy client costs no re-insert).
      keys.set(key, tat);
      return 0;
    }
    this.newest = key;
    if (had !== undefined) keys.delete(key);
    else if (keys.size >= this.maxKeys) {
      // The least recently used key goes: the first in insertion order.
      const oldest = keys.keys().next().value;
      if (oldest !== undefined) keys.delete(oldest);
    }
    keys.set(key, tat);
    return 0;
  }
}
