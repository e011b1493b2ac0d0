// What data-path workers share about their accept gates (accept-gate.ts), in one SharedArrayBuffer:
// - the descriptors each worker's gates keep. Workers are threads: the descriptor table is the
//   process's. When a worker dies, Bun closes the listening sockets it knew with the worker's loop, but
//   not the gate's duplicate, which would keep the socket in the port's reuseport group, queueing
//   connections for no one. The main thread closes what a dead worker listed here (closeFor) before
//   its replacement binds. A slot holds fd + 1 (0 = empty), written by its worker only.
// - a generation word, raised each time a virtual server's connection ends in any worker: a worker
//   whose listeners wait for a global slot (max_connections over every worker) waits on it
//   (Atomics.waitAsync) to look again.
// - per worker and virtual server slot, the connections waiting in that worker's paused accept queues:
//   the idle keep-alive connections that must give way to them may be another worker's.
// - per worker, its client connections open: the descriptor ceiling counts them over every worker.

import { closeFd } from "./libc.ts";
import { onWordChange } from "./on-word-change.ts";
import type { GateRecord } from "./accept-gate.ts";

/** Descriptors one worker may list: two per gate, so 256 listeners. */
export const FDS_PER_WORKER = 512;

/** Virtual server slots: the shared counts' maxVs (worker-pool.ts) and the waiting counts here. */
export const MAX_VS = 256;

export class GateFds {
  readonly buffer: SharedArrayBuffer;
  private readonly words: Int32Array;
  /** Per worker × virtual server slot: connections waiting in its paused queues. */
  private readonly waitingBy: Int32Array;
  /** Per worker: client connections open. */
  private readonly liveBy: Int32Array;
  private readonly workers: number;
  private watching = false;

  constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    const [workers] = new Int32Array(buffer, 0, 1);
    this.workers = workers!;
    this.words = new Int32Array(buffer, 4, 1 + this.workers * FDS_PER_WORKER);
    const at = 2 + this.workers * FDS_PER_WORKER;
    this.waitingBy = new Int32Array(buffer, 4 * at, this.workers * MAX_VS);
    this.liveBy = new Int32Array(buffer, 4 * (at + this.workers * MAX_VS), this.workers);
  }

  static create(workers: number): GateFds {
    const buffer = new SharedArrayBuffer(4 * (2 + workers * FDS_PER_WORKER + workers * MAX_VS + workers));
    new Int32Array(buffer, 0, 1)[0] = workers;
    return new GateFds(buffer);
  }

  /** Worker `worker` has `n` connections of virtual server slot `v` waiting in its paused queues. */
  setWaiting(worker: number, v: number, n: number): void {
    if (v < MAX_VS) Atomics.store(this.waitingBy, worker * MAX_VS + v, n);
  }

  /** Worker `worker` has `n` client connections open; returns the count over every worker. */
  live(worker: number, n: number): number {
    Atomics.store(this.liveBy, worker, n);
    let total = 0;
    for (let w = 0; w < this.workers; w++) total += Atomics.load(this.liveBy, w);
    return total;
  }

  /** Connections of slot `v` waiting in the other workers' queues, and how many other workers there are. */
  waitingElsewhere(worker: number, v: number): { waiting: number; others: number } {
    let waiting = 0;
    if (v < MAX_VS)
      for (let w = 0; w < this.workers; w++)
        if (w !== worker) waiting += Atomics.load(this.waitingBy, w * MAX_VS + v);
    return { waiting, others: this.workers - 1 };
  }

  /** Worker `worker`'s side: where its gates list their descriptors. */
  recordFor(worker: number): GateRecord {
    const w = this.words;
    const base = 1 + worker * FDS_PER_WORKER;
    return {
      hold(fds) {
        const free: number[] = [];
        for (let i = base; i < base + FDS_PER_WORKER && free.length < fds.length; i++)
          if (Atomics.load(w, i) === 0) free.push(i);
        if (free.length < fds.length) return false;
        for (const [k, i] of free.entries()) Atomics.store(w, i, fds[k]! + 1);
        return true;
      },
      drop(fds) {
        for (let i = base; i < base + FDS_PER_WORKER; i++)
          if (fds.includes(Atomics.load(w, i) - 1)) Atomics.store(w, i, 0);
      },
    };
  }

  /** Main thread, once worker `worker` has ended: close every descriptor it listed; how many. */
  closeFor(worker: number): number {
    for (let v = 0; v < MAX_VS; v++) Atomics.store(this.waitingBy, worker * MAX_VS + v, 0);
    Atomics.store(this.liveBy, worker, 0);
    const base = 1 + worker * FDS_PER_WORKER;
    let n = 0;
    for (let i = base; i < base + FDS_PER_WORKER; i++) {
      const v = Atomics.exchange(this.words, i, 0);
      if (v !== 0) {
        closeFd(v - 1);
        n++;
      }
    }
    return n;
  }

  /** Descriptors worker `worker` lists now (tests, the log). */
  listed(worker: number): number[] {
    const out: number[] = [];
    const base = 1 + worker * FDS_PER_WORKER;
    for (let i = base; i < base + FDS_PER_WORKER; i++) {
      const v = Atomics.load(this.words, i);
      if (v !== 0) out.push(v - 1);
    }
    return out;
  }

  /** A connection counted against a global limit ended: wake the workers waiting for a slot. */
  freed(): void {
    Atomics.add(this.words, 0, 1);
    Atomics.notify(this.words, 0);
  }

  /** The generation now: take it before looking at the counts, then wait from it. */
  mark(): number {
    return Atomics.load(this.words, 0);
  }

  /**
   * Call `then` once the generation moves past `mark` (at once if it has), or after `maxMs`. One wait
   * per thread: a call while one is pending joins it (the same `then` is called once).
   */
  whenFreed(mark: number, then: () => void, maxMs = 1000): void {
    this.pending.add(then);
    if (this.watching) return;
    this.watching = true;
    const fire = () => {
      this.watching = false;
      const fs = [...this.pending];
      this.pending.clear();
      for (const f of fs) f();
    };
    onWordChange(this.words, 0, mark, maxMs, fire);
  }

  private readonly pending = new Set<() => void>();
}
