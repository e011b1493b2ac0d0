// The words that make every worker's queue (a pool's queue_timeout) part of one load balancer: with
// `[global] workers` > 1 a server's max_connections is a global limit, so a slot freed by one worker
// must wake the requests waiting in every other. Per pool, a "slot freed" generation word, bumped and
// notified (Atomics.notify) on every release while any worker has a request waiting; each worker with
// waiters on that pool sleeps on it with Atomics.waitAsync (measured: the other thread runs about 50 µs after
// the notify). Per pool, how many requests wait over all workers, so a release costs one atomic load
// when no one waits. Per worker, its share of that count (taken back when it dies) and how many
// requests it ever queued (status).
//
// One order over every worker: per pool a ticket counter (a waiter's place), and per worker × pool the
// ticket of that worker's first waiter (0: none). A worker tries its first waiter only when no other
// worker's first one is older; tickets are 32-bit and compared by their wrapping difference.
//
// One SharedArrayBuffer of its own (layout field `queues`), sized once by the main thread.

const HEAD = 2;

/** A buffer for `pools` pool slots and `workers` workers; tickets start after `lastTicket` (tests). */
export function queueBuffer(pools: number, workers: number, lastTicket = 0): SharedArrayBuffer {
  const ints = HEAD + 3 * pools + 2 * workers * pools;
  const b = new SharedArrayBuffer(Math.ceil((ints * 4) / 8) * 8 + workers * 8);
  const h = new Int32Array(b, 0, HEAD);
  h[0] = pools;
  h[1] = workers;
  new Int32Array(b, (HEAD + 2 * pools + workers * pools) * 4, pools).fill(lastTicket);
  return b;
}

export class SharedQueueWords {
  /** Per pool: bumped on every release while someone waits; the word workers sleep on. */
  readonly gen: Int32Array;
  /** Per pool: requests waiting over every worker. */
  private readonly waitingAll: Int32Array;
  /** Per worker × pool: this worker's share of `waitingAll`. */
  private readonly waitingBy: Int32Array;
  /** Per pool: the last ticket given. */
  private readonly tickets: Int32Array;
  /** Per worker × pool: the ticket of its first waiter, 0 when it has none. */
  private readonly heads: Int32Array;
  /** Per worker: requests it ever queued (single writer). */
  private readonly queuedBy: Float64Array;
  private readonly pools: number;
  private readonly workers: number;

  constructor(buffer: SharedArrayBuffer) {
    const h = new Int32Array(buffer, 0, HEAD);
    const P = h[0]!;
    const W = h[1]!;
    this.pools = P;
    this.workers = W;
    this.gen = new Int32Array(buffer, HEAD * 4, P);
    this.waitingAll = new Int32Array(buffer, (HEAD + P) * 4, P);
    this.waitingBy = new Int32Array(buffer, (HEAD + 2 * P) * 4, W * P);
    this.tickets = new Int32Array(buffer, (HEAD + 2 * P + W * P) * 4, P);
    this.heads = new Int32Array(buffer, (HEAD + 3 * P + W * P) * 4, W * P);
    const ints = HEAD + 3 * P + 2 * W * P;
    this.queuedBy = new Float64Array(buffer, Math.ceil((ints * 4) / 8) * 8, W);
  }

  /** A request of `worker` starts waiting on pool slot `p`: its ticket. */
  join(worker: number, p: number): number {
    let t = (Atomics.add(this.tickets, p, 1) + 1) | 0;
    if (t === 0) t = (Atomics.add(this.tickets, p, 1) + 1) | 0;
    Atomics.add(this.waitingBy, worker * this.pools + p, 1);
    Atomics.add(this.waitingAll, p, 1);
    this.queuedBy[worker]!++;
    return t;
  }

  /** It left the queue (served, timed out, gone). */
  leave(worker: number, p: number): void {
    Atomics.sub(this.waitingBy, worker * this.pools + p, 1);
    Atomics.sub(this.waitingAll, p, 1);
  }

  /** `worker`'s first waiter on pool `p` is now `ticket` (0: none). */
  setHead(worker: number, p: number, ticket: number): void {
    Atomics.store(this.heads, worker * this.pools + p, ticket);
  }

  /** Whether `ticket`, first in `worker`, is older than every other worker's first waiter on `p`. */
  isTurn(worker: number, p: number, ticket: number): boolean {
    for (let w = 0; w < this.workers; w++) {
      if (w === worker) continue;
      const h = Atomics.load(this.heads, w * this.pools + p);
      if (h !== 0 && ((h - ticket) | 0) < 0) return false;
    }
    return true;
  }

  /** Wake every worker waiting on pool `p` (its order changed: the next turn may be theirs). */
  bump(p: number): void {
    Atomics.add(this.gen, p, 1);
    Atomics.notify(this.gen, p);
  }

  /** A slot of pool `p` freed (after the count went down): wake every worker that has waiters. */
  freed(p: number): void {
    if (Atomics.load(this.waitingAll, p) !== 0) this.bump(p);
  }

  waiting(p: number): number {
    return Atomics.load(this.waitingAll, p);
  }

  /** Requests `worker` has ever queued. */
  queued(worker: number): number {
    return this.queuedBy[worker] ?? 0;
  }

  /**
   * Take a dead worker's waiters out (its connections went with it) and wake the others: their turn
   * may have come, and the slots it held are free (call after SharedCounts.forget).
   */
  forget(worker: number): void {
    if (worker >= this.workers) return;
    for (let p = 0; p < this.pools; p++) {
      const n = Atomics.exchange(this.waitingBy, worker * this.pools + p, 0);
      if (n !== 0) Atomics.sub(this.waitingAll, p, n);
      Atomics.store(this.heads, worker * this.pools + p, 0);
      this.freed(p);
    }
  }
}
