// The budget for bytes held before forwarding ([global] max_held_bytes), alone: exact accounting, who
// waits and who reads, in which order. Through a real listener: held-bytes.test.ts.

import { describe, expect, test } from "bun:test";
import { HeldBudget, type HeldWaiter } from "../../core/switch/held-budget.ts";

class W implements HeldWaiter {
  heldBytes = 0;
  constructor(
    readonly log: string[],
    readonly name: string,
  ) {}
  heldPause(): void {
    this.log.push(`pause ${this.name}`);
  }
  heldResume(): void {
    this.log.push(`resume ${this.name}`);
  }
}

/** `w` now holds `n` bytes (as a connection reports it). */
function set(b: HeldBudget, w: W, n: number): void {
  const before = w.heldBytes;
  w.heldBytes = n;
  b.change(w, before, n);
}

describe("HeldBudget", () => {
  test("counts exactly, keeps the peak, and says once when it runs out", () => {
    const b = new HeldBudget(100, 10);
    let spent = 0;
    b.onSpent = () => spent++;
    const log: string[] = [];
    const a = new W(log, "a");
    const c = new W(log, "c");
    set(b, a, 60);
    set(b, c, 30);
    expect([b.used, b.spent, spent]).toEqual([90, false, 0]);
    set(b, c, 50);
    expect([b.used, b.spent, spent]).toEqual([110, true, 1]);
    // Still spent: a client that grows waits, and being the first holder in line it runs at once.
    set(b, a, 70);
    expect(log).toEqual(["pause a", "resume a"]);
    // The runner may grow; one that shrinks is not stopped.
    set(b, a, 80);
    set(b, c, 45);
    expect(log).toEqual(["pause a", "resume a"]);
    b.leave(c, 45);
    b.leave(a, 80);
    expect([b.used, b.peak, b.waitingCount]).toEqual([0, 130, 0]);
  });

  test("newcomers wait while spent; waiters go in the order they came, as many as their reads fit", () => {
    const b = new HeldBudget(100, 30);
    const log: string[] = [];
    const holder = new W(log, "h");
    set(b, holder, 100);
    const ws = ["w1", "w2", "w3", "w4"].map((n) => new W(log, n));
    for (const w of ws) expect(b.admit(w)).toBe(false);
    expect(b.waitingCount).toBe(4);
    // 100 bytes freed: room for three reads of one slice (30) each, not four.
    set(b, holder, 0);
    expect(log.slice(4)).toEqual(["resume w1", "resume w2", "resume w3"]);
    // A resumed waiter that read frees its slice: the next goes.
    set(b, ws[0]!, 5);
    expect(log.at(-1)).toBe("resume w4");
    expect(b.waitingCount).toBe(0);
    // Room and nobody waiting: a newcomer reads at once.
    expect(b.admit(new W(log, "n"))).toBe(true);
  });

  test("the first waiter goes whenever anything is free (no stall when slices do not fit)", () => {
    const b = new HeldBudget(100, 1000);
    const log: string[] = [];
    const h = new W(log, "h");
    set(b, h, 100);
    b.admit(new W(log, "w1"));
    b.admit(new W(log, "w2"));
    set(b, h, 90);
    expect(log).toEqual(["pause w1", "pause w2", "resume w1"]);
  });

  test("spent with every holder waiting: the first holder runs until its body is forwarded", () => {
    const b = new HeldBudget(100, 10);
    const log: string[] = [];
    const fresh = new W(log, "n");
    const a = new W(log, "a");
    const c = new W(log, "c");
    b.onSpent = () => {
      b.wait(fresh);
      b.wait(a);
      b.wait(c);
    };
    set(b, a, 50);
    set(b, c, 50);
    // All stopped; the newcomer holds nothing (it cannot free anything), so "a" runs.
    expect(log).toEqual(["pause n", "pause a", "pause c", "resume a"]);
    set(b, a, 60);
    expect(log.length).toBe(4);
    // Forwarded: below the limit again, the others go in order.
    set(b, a, 0);
    expect(log.slice(4)).toEqual(["resume n", "resume c"]);
  });

  test("a larger limit on reload lets waiters go", () => {
    const b = new HeldBudget(10, 10);
    const log: string[] = [];
    set(b, new W(log, "h"), 10);
    b.admit(new W(log, "w"));
    b.setMax(100);
    expect(log).toEqual(["pause w", "resume w"]);
  });
});
