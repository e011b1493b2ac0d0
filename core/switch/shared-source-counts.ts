// Open connections per client address shared by every data-path worker, for max_connections_per_source:
// SharedKeyTable entries [hash low, total, (unused), hash high, one count per worker]. An entry exists
// while its address has a connection open (it is freed at 0, never expired), and each worker also counts
// its own share, so the main thread takes a dead worker's connections back out (forget) as
// SharedCounts does for server counts.
//
// The table holds about `sources` addresses at once (entries: the power of two at least twice that).
// When an address's probe window of 8 is full of addresses with open connections, its connection is
// admitted uncounted (the limit is not enforced for it; the worker remembers it, so its close takes
// nothing off the table). At half load the window is practically never full.

import { hashed, keyHash } from "../sched/key-hash.ts";
import { persistenceBuffer, SharedKeyTable } from "../sched/shared-persistence.ts";
import type { SourceCounter } from "./source-counts.ts";

const HEAD = 4;

export function sourceCountsBuffer(sources: number, workers: number): SharedArrayBuffer {
  return persistenceBuffer(sources, HEAD + workers);
}

export class SharedSourceCounts implements SourceCounter {
  private readonly table: SharedKeyTable;
  private readonly col: number;
  private max = 0;
  private ok = false;
  private full = false;
  /** Connections of this worker admitted uncounted, by address. */
  private readonly uncounted = new Map<string, number>();
  private readonly enterStep: (w: Int32Array, at: number, found: boolean) => void;
  private readonly leaveStep: (w: Int32Array, at: number, found: boolean) => void;

  /** Worker `worker` of `workers`' view of the table in `buffer`. */
  constructor(buffer: SharedArrayBuffer, workers: number, worker: number) {
    this.table = new SharedKeyTable(buffer, Number.POSITIVE_INFINITY, HEAD + workers);
    this.col = HEAD + worker;
    this.enterStep = (w, at, found) => {
      if (found) {
        this.ok = this.max <= 0 || w[at + 1]! < this.max;
        if (!this.ok) return;
        w[at + 1]!++;
        w[at + this.col]!++;
        return;
      }
      // A full window (every entry an address with connections open): admitted, not counted.
      this.ok = true;
      this.full = w[at + 1] !== 0;
      if (this.full) return;
      w.fill(0, at, at + HEAD + workers);
      w[at] = hashed[0]!;
      w[at + 1] = 1;
      w[at + 3] = hashed[1]!;
      w[at + this.col] = 1;
    };
    this.leaveStep = (w, at, found) => {
      if (!found) return;
      w[at + this.col]!--;
      if (--w[at + 1]! <= 0) w[at + 1] = 0;
    };
  }

  enter(ip: string, max: number): boolean {
    keyHash(ip);
    this.max = max;
    this.full = false;
    this.table.withEntry(hashed[0]!, 0, this.enterStep, hashed[1]!);
    if (this.full) this.uncounted.set(ip, (this.uncounted.get(ip) ?? 0) + 1);
    return this.ok;
  }

  leave(ip: string): void {
    const u = this.uncounted.get(ip);
    if (u !== undefined) {
      if (u <= 1) this.uncounted.delete(ip);
      else this.uncounted.set(ip, u - 1);
      return;
    }
    keyHash(ip);
    this.table.withEntry(hashed[0]!, 0, this.leaveStep, hashed[1]!);
  }

  /** Addresses with a connection open. */
  get size(): number {
    let n = 0;
    this.table.scan(() => n++);
    return n;
  }

  /** Take worker `worker`'s connections out of every count (it died; main thread). */
  static forget(buffer: SharedArrayBuffer, workers: number, worker: number): void {
    const col = HEAD + worker;
    new SharedKeyTable(buffer, Number.POSITIVE_INFINITY, HEAD + workers).scan((w, at) => {
      const mine = w[at + col]!;
      if (mine === 0) return;
      w[at + col] = 0;
      w[at + 1] = Math.max(0, w[at + 1]! - mine);
    });
  }
}
