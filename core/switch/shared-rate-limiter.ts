// Rate-limit counters in shared memory, so every data-path worker counts a client against one bucket:
// the same GCRA rule as LocalRateLimiter over SharedKeyTable (the table of source persistence and
// lblc), one entry per key: [hash low, in use, last use, hash high, theoretical arrival time (float64)].
//
// Keys are kept as a 64-bit hash (key-hash.ts): two keys with the same hash share one bucket. The
// table is fixed at allocation (the power of two at least 2 × max_keys entries, 24 bytes each); a key
// unused for longer than its bucket takes to empty is forgotten, and a new key takes a free, forgotten
// or else the least recently used entry of its probe window of 8 (LRU within the window, not over the
// whole table as LocalRateLimiter's).

import { hashed, keyHash } from "../sched/key-hash.ts";
import { persistenceBuffer, SharedKeyTable } from "../sched/shared-persistence.ts";
import { Gcra, type RateLimiter } from "./rate-limiter.ts";

/** Words per entry; the float64 at words 4–5 stays 8-byte aligned (entries start at byte 8 + 24 k). */
const WIDTH = 6;

/** The buffer of a limiter keeping about `maxKeys` keys. */
export function rateLimitBuffer(maxKeys: number): SharedArrayBuffer {
  return persistenceBuffer(maxKeys, WIDTH);
}

/** Bytes of shared memory for a limit of `maxKeys` keys. */
export function rateLimitBytes(maxKeys: number): number {
  return rateLimitBuffer(maxKeys).byteLength;
}

export class SharedRateLimiter implements RateLimiter {
  private readonly gcra: Gcra;
  private readonly table: SharedKeyTable;
  private readonly tats: Float64Array;
  // The request under way, for `step` (one bound callback: nothing allocated per take).
  private now = 0;
  private wait = 0;
  private readonly step: (w: Int32Array, at: number, found: boolean) => void;

  constructor(count: number, ms: number, burst: number, buffer: SharedArrayBuffer) {
    this.gcra = new Gcra(count, ms, burst);
    this.table = new SharedKeyTable(buffer, this.gcra.memoryMs, WIDTH);
    this.tats = new Float64Array(buffer);
    this.step = (w, at, found) => {
      const now = this.now;
      const tat = this.gcra.next(found ? this.tats[(at + 4) >> 1]! : now, now);
      if (tat < 0) {
        // A refusal neither counts nor refreshes the key (as LocalRateLimiter).
        this.wait = -tat;
        return;
      }
      this.wait = 0;
      if (!found) {
        w[at] = hashed[0]!;
        w[at + 1] = 1;
        w[at + 3] = hashed[1]!;
      }
      w[at + 2] = SharedKeyTable.tick(now);
      this.tats[(at + 4) >> 1] = tat;
    };
  }

  get size(): number {
    return this.table.live(SharedKeyTable.tick(this.now));
  }

  take(key: string, now: number): number {
    keyHash(key);
    this.now = now;
    this.table.withEntry(hashed[0]!, SharedKeyTable.tick(now), this.step, hashed[1]!);
    return this.wait;
  }
}
