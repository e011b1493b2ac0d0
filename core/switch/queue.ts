// Requests waiting for a server slot (a pool's queue_timeout, HAProxy's `timeout queue`): when every
// usable server of the pool is at its max_connections, a request waits here in arrival order and is
// tried again when a slot frees (an attempt ends) or on the sweep tick (a server came up); its
// connection's deadline answers 503 when the wait runs out. Waking is deferred to a microtask: a slot
// frees inside another connection's event, whose own clean-up must finish first.
//
// With data-path workers a QueueLink (shared-queue-link.ts) tells the other workers: a slot freed here
// wakes their waiters, and a slot freed there wakes ours (through `wake`). Order holds within a worker.

import type { PoolState } from "../state/cluster.ts";

/** Worth queueing for: a usable server of the pool is at its max_connections (not all down). */
export function mayQueue(pool: PoolState): boolean {
  const list = pool.servers;
  for (let i = 0; i < list.length; i++) {
    const s = list[i]!;
    if (s.up && s.weight > 0 && s.maxConnections > 0 && s.active >= s.maxConnections) return true;
  }
  return false;
}

/** A request in a queue: `retry` tries to dispatch it now, true when it left the queue. */
export interface QueueWaiter {
  retry(): boolean;
}

class PoolQueue {
  readonly list: QueueWaiter[] = [];
  /** Each waiter's place over every worker (QueueLink.joined), or 0 without a link. */
  readonly tickets: number[] = [];
  head = 0;
  scheduled = false;

  get length(): number {
    return this.list.length - this.head;
  }

  /** The ticket of the first waiter, 0 when there is none. */
  get first(): number {
    return this.head < this.tickets.length ? this.tickets[this.head]! : 0;
  }
}

/**
 * The queues of the other workers. A waiter takes a ticket (its place over every worker), this worker
 * publishes the ticket of its first waiter, and a waiter is tried only when no other worker's first one
 * is older: one order over every worker, as HAProxy's one queue per backend.
 */
export interface QueueLink {
  /** A request joins this worker's queue on `pool`; its ticket. */
  joined(pool: string): number;
  /** A request left; `head` is now the first one's ticket (0: none left). */
  left(pool: string, head: number): void;
  /** This worker's first waiter is now `ticket` (it was empty). */
  first(pool: string, ticket: number): void;
  /** Whether `ticket` comes before every other worker's first waiter. */
  isTurn(pool: string, ticket: number): boolean;
  /** A slot of `pool` freed in this worker. */
  freed(pool: string): void;
}

export class Queues {
  private readonly byPool = new Map<string, PoolQueue>();
  /** Requests waiting in every queue: a request that ends pays one comparison when it is 0. */
  waiting = 0;
  link: QueueLink | undefined = undefined;

  /** An attempt at a server of `pool` ended: its slot may serve a waiter here or in another worker. */
  released(pool: string): void {
    if (this.waiting > 0) this.wake(pool);
    this.link?.freed(pool);
  }

  add(pool: string, w: QueueWaiter): void {
    let q = this.byPool.get(pool);
    if (q === undefined) {
      q = new PoolQueue();
      this.byPool.set(pool, q);
    }
    const link = this.link;
    const ticket = link === undefined ? 0 : link.joined(pool);
    q.list.push(w);
    q.tickets.push(ticket);
    this.waiting++;
    if (link === undefined) return;
    if (q.length === 1) link.first(pool, ticket);
    // A slot another worker freed between our failed pick and the join did not see this waiter: look
    // once more (the join and that worker's release are ordered by their atomics).
    this.wake(pool);
  }

  /** The request left before its turn (the client closed, its wait ran out). */
  remove(pool: string, w: QueueWaiter): void {
    const q = this.byPool.get(pool);
    if (q === undefined) return;
    const i = q.list.indexOf(w, q.head);
    if (i < 0) return;
    q.list.splice(i, 1);
    q.tickets.splice(i, 1);
    this.waiting--;
    this.link?.left(pool, q.first);
    this.compact(pool, q);
  }

  /** A slot may have freed in `pool`: try its first requests, in order, soon. */
  wake(pool: string): void {
    const q = this.byPool.get(pool);
    if (q === undefined || q.scheduled || q.length === 0) return;
    q.scheduled = true;
    queueMicrotask(() => {
      q.scheduled = false;
      this.serve(pool, q);
    });
  }

  /** Try every queue (the sweep tick: a server may have come up or been enabled). */
  wakeAll(): void {
    if (this.waiting === 0) return;
    for (const pool of this.byPool.keys()) this.wake(pool);
  }

  private serve(pool: string, q: PoolQueue): void {
    // Each success frees a place; the first that cannot be served keeps its place and stops the round,
    // as does one whose turn has not come (another worker's first waiter is older).
    const link = this.link;
    while (q.length > 0) {
      if (link !== undefined && !link.isTurn(pool, q.first)) break;
      const w = q.list[q.head]!;
      q.head++;
      this.waiting--;
      if (!w.retry()) {
        q.head--;
        this.waiting++;
        break;
      }
      link?.left(pool, q.first);
    }
    this.compact(pool, q);
  }

  private compact(pool: string, q: PoolQueue): void {
    if (q.length === 0) this.byPool.delete(pool);
    else if (q.head > 64 && q.head * 2 > q.list.length) {
      q.list.splice(0, q.head);
      q.tickets.splice(0, q.head);
      q.head = 0;
    }
  }
}
