// The shared words of every worker's queues: waiters counted over workers, a release that wakes only
// when someone waits, one ticket order (wrapping at 32 bits), and a dead worker's share taken back.

import { expect, test } from "bun:test";
import { queueBuffer, SharedQueueWords } from "../../core/sched/shared-queue.ts";

test("a release bumps the pool's word only while a worker has a request waiting on that pool", () => {
  const q = new SharedQueueWords(queueBuffer(4, 2));
  q.freed(1);
  expect(q.gen[1]).toBe(0);
  q.join(0, 1);
  q.freed(1);
  q.freed(2);
  expect([q.gen[1], q.gen[2]]).toEqual([1, 0]);
  q.leave(0, 1);
  q.freed(1);
  expect(q.gen[1]).toBe(1);
});

test("waiters add up over workers; each worker's queued total is its own", () => {
  const q = new SharedQueueWords(queueBuffer(2, 3));
  q.join(0, 0);
  q.join(2, 0);
  q.join(2, 0);
  expect(q.waiting(0)).toBe(3);
  expect([q.queued(0), q.queued(1), q.queued(2)]).toEqual([1, 0, 2]);
});

test("a worker's first waiter has its turn only when no other worker's first waiter is older", () => {
  const q = new SharedQueueWords(queueBuffer(1, 3));
  const a = q.join(0, 0);
  const b = q.join(1, 0);
  const c = q.join(2, 0);
  expect(a < b && b < c).toBe(true);
  q.setHead(0, 0, a);
  q.setHead(1, 0, b);
  q.setHead(2, 0, c);
  expect([q.isTurn(0, 0, a), q.isTurn(1, 0, b), q.isTurn(2, 0, c)]).toEqual([true, false, false]);
  // Worker 0's waiter was served and it has no other: worker 1's comes next.
  q.setHead(0, 0, 0);
  expect([q.isTurn(1, 0, b), q.isTurn(2, 0, c)]).toEqual([true, false]);
});

test("tickets keep their order across the 32-bit wrap and never use 0 (no waiter)", () => {
  const q = new SharedQueueWords(queueBuffer(1, 2, 2 ** 31 - 2));
  const older = q.join(0, 0);
  const wrapped = [q.join(1, 0), q.join(1, 0), q.join(1, 0)];
  expect(older).toBe(2 ** 31 - 1);
  expect(wrapped[0]).toBe(-(2 ** 31));
  q.setHead(0, 0, older);
  q.setHead(1, 0, wrapped[0]!);
  expect([q.isTurn(0, 0, older), q.isTurn(1, 0, wrapped[0]!)]).toEqual([true, false]);
  // Around 0 too: -1 is followed by 1.
  const z = new SharedQueueWords(queueBuffer(1, 1, -2));
  expect([z.join(0, 0), z.join(0, 0)]).toEqual([-1, 1]);
});

test("a dead worker's waiters and first ticket are taken back, and the others are woken", () => {
  const q = new SharedQueueWords(queueBuffer(2, 2));
  const a = q.join(0, 1);
  q.join(0, 1);
  const b = q.join(1, 1);
  q.setHead(0, 1, a);
  q.setHead(1, 1, b);
  expect(q.isTurn(1, 1, b)).toBe(false);
  q.forget(0);
  expect(q.waiting(1)).toBe(1);
  expect(q.isTurn(1, 1, b)).toBe(true);
  expect(q.gen[1]).toBe(1);
});
