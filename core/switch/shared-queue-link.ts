// A worker's queues joined to the others' (SharedQueueWords): its waiters are counted and ordered in
// shared memory, a slot freed here bumps the pool's word, and while this worker has waiters on a pool it
// sleeps on that word with Atomics.waitAsync, waking its queue when any worker frees a slot or serves
// its first waiter (the next turn may be ours). No timer runs while no one waits; the sleep has a bound
// so a pool whose last waiter left stops being watched.

import type { SharedQueueWords } from "../sched/shared-queue.ts";
import { onWordChange } from "../sys/on-word-change.ts";
import type { QueueLink } from "./queue.ts";

/** How long one sleep lasts before the watcher looks whether it is still needed (ms). */
const SLEEP_MS = 1000;

export class SharedQueueLink implements QueueLink {
  private readonly local = new Map<string, number>();
  private readonly watching = new Set<string>();

  constructor(
    private readonly words: SharedQueueWords,
    private readonly worker: number,
    /** The pool's slot in shared memory, or undefined (no room: it stays per worker). */
    private readonly slotOf: (pool: string) => number | undefined,
    /** Try this worker's waiters on `pool` (Queues.wake). */
    private readonly wake: (pool: string) => void,
  ) {}

  joined(pool: string): number {
    const p = this.slotOf(pool);
    if (p === undefined) return 0;
    const t = this.words.join(this.worker, p);
    this.local.set(pool, (this.local.get(pool) ?? 0) + 1);
    this.watch(pool, p);
    return t;
  }

  left(pool: string, head: number): void {
    const p = this.slotOf(pool);
    const n = this.local.get(pool);
    if (p === undefined || n === undefined) return;
    this.words.leave(this.worker, p);
    if (n > 1) this.local.set(pool, n - 1);
    else this.local.delete(pool);
    this.words.setHead(this.worker, p, head);
    // Another worker may have held back for the one that left.
    this.words.freed(p);
  }

  first(pool: string, ticket: number): void {
    const p = this.slotOf(pool);
    if (p !== undefined) this.words.setHead(this.worker, p, ticket);
  }

  isTurn(pool: string, ticket: number): boolean {
    const p = this.slotOf(pool);
    return p === undefined || ticket === 0 || this.words.isTurn(this.worker, p, ticket);
  }

  freed(pool: string): void {
    const p = this.slotOf(pool);
    if (p !== undefined) this.words.freed(p);
  }

  private watch(pool: string, p: number): void {
    if (this.watching.has(pool)) return;
    this.watching.add(pool);
    const gen = this.words.gen;
    const step = (): void => {
      if (!this.local.has(pool)) {
        this.watching.delete(pool);
        return;
      }
      onWordChange(gen, p, Atomics.load(gen, p), SLEEP_MS, after);
    };
    const after = (): void => {
      if (this.local.has(pool)) this.wake(pool);
      step();
    };
    step();
  }
}
