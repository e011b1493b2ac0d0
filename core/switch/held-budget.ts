// One budget for every byte the switch holds before forwarding it: chunked bodies held until checked,
// partial heads, pipelined requests waiting their turn ([global] max_held_bytes). Each connection
// reports its own figure on every change, so the total is exact. When it reaches the limit, every client
// that could add to it stops being read (socket.pause(): the bytes stay in the kernel, TCP backpressure
// reaches the sender) and waits in line; as bytes are freed (a held body forwarded, a connection closed
// or timed out) the waiters read again in the order they began to wait. New connections wait in the
// same line while the budget is spent, before their first read.
//
// Resuming a waiter frees nothing yet: it may bring up to one `slice` (a held body's bound) on its next
// read. So beyond the first, waiters are let go only while that many slices still fit, and a resumed
// waiter's slice is counted until it reads or leaves.
//
// If every holder waited, none could finish and free anything: the budget would stay spent until their
// timeouts. So while it is spent one waiter, the first that holds bytes (it can finish), keeps reading:
// the runner. It stays the runner until it holds nothing (its request went to a server, or was refused)
// or leaves; then the next. A read cannot be sized beforehand, so the total can pass the limit by the
// read that crossed it and by the runner's bytes (at most one held body's bound), never more.

import { RETAIN_MAX } from "./retained.ts";

/** A client connection as the budget sees it. */
export interface HeldWaiter {
  /** Bytes this client holds now (as last reported through change()). */
  readonly heldBytes: number;
  /** Stop reading: the budget is spent. */
  heldPause(): void;
  /** Read again: it is this waiter's turn. */
  heldResume(): void;
}

/** Default [global] max_held_bytes: 64 MiB. */
export const DEFAULT_MAX_HELD = 64 * 1024 * 1024;

export class HeldBudget {
  /** The limit, bytes. */
  max: number;
  /** Bytes held now, over every connection. */
  used = 0;
  /** The most held at once since start. */
  peak = 0;
  /** Times a connection was made to wait. */
  waits = 0;
  /** What one resumed waiter may bring on its next read. */
  readonly slice: number;
  /** Told once each time the budget becomes spent: stop every client that could add held bytes. */
  onSpent: () => void = () => {};
  private readonly waiting = new Set<HeldWaiter>();
  private readonly admitted = new Set<HeldWaiter>();
  /** The one client read while the budget is spent, so that held bodies can finish. */
  private runner: HeldWaiter | undefined = undefined;

  constructor(max = DEFAULT_MAX_HELD, slice = RETAIN_MAX) {
    this.max = max;
    this.slice = slice;
  }

  get spent(): boolean {
    return this.used >= this.max;
  }

  /** Connections waiting for their turn to read. */
  get waitingCount(): number {
    return this.waiting.size;
  }

  isWaiting(h: HeldWaiter): boolean {
    return this.waiting.has(h);
  }

  /** `h` now holds `after` bytes instead of `before`. */
  change(h: HeldWaiter, before: number, after: number): void {
    const was = this.used;
    this.used = was + after - before;
    if (this.used > this.peak) this.peak = this.used;
    if (h === this.runner) {
      if (after === 0) this.runner = undefined;
    } else this.admitted.delete(h);
    if (this.used >= this.max) {
      if (was < this.max) this.onSpent();
      else if (after > before) this.wait(h);
    }
    if (this.waiting.size > 0) this.wake();
  }

  /** A new connection: true when it may read now; otherwise it has been paused to wait its turn. */
  admit(h: HeldWaiter): boolean {
    if (!this.spent && this.waiting.size === 0) return true;
    this.wait(h);
    return false;
  }

  /** Pause `h` until its turn (nothing when it already waits). */
  wait(h: HeldWaiter): void {
    if (h === this.runner || this.waiting.has(h)) return;
    this.waiting.add(h);
    this.waits++;
    h.heldPause();
  }

  /** `h` is gone (closed) holding `held` bytes: they are free. */
  leave(h: HeldWaiter, held: number): void {
    this.waiting.delete(h);
    this.admitted.delete(h);
    if (h === this.runner) this.runner = undefined;
    if (held !== 0) this.change(h, held, 0);
    else if (this.waiting.size > 0) this.wake();
  }

  /** A new limit (reload): a larger one lets waiters go at once. */
  setMax(max: number): void {
    this.max = max;
    if (this.waiting.size > 0) this.wake();
  }

  private wake(): void {
    if (this.spent) {
      if (this.runner === undefined) this.run();
      return;
    }
    for (const h of this.waiting) {
      if (this.used >= this.max) return;
      // The first waiter always goes (progress); more only while their next reads fit.
      const n = this.admitted.size;
      if (n > 0 && this.used + (n + 1) * this.slice > this.max) return;
      this.waiting.delete(h);
      this.admitted.add(h);
      h.heldResume();
    }
  }

  /** Spent, and no client read: let the first waiter that can finish (it holds bytes) go on reading. */
  private run(): void {
    for (const h of this.waiting) {
      if (h.heldBytes === 0) continue;
      this.waiting.delete(h);
      this.runner = h;
      h.heldResume();
      return;
    }
  }
}
