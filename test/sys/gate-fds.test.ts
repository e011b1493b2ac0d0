// The shared board of data-path workers' accept-gate descriptors: a worker lists what its gates keep,
// the main thread closes what a dead worker listed; and the word that wakes workers waiting for a slot.

import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { FDS_PER_WORKER, GateFds } from "../../core/sys/gate-fds.ts";
import { libc } from "../../core/sys/libc.ts";

const openFd = () => libc().dup(0);
const isOpen = (fd: number) => existsSync(`/proc/self/fd/${fd}`);

test("closeFor closes what one worker listed, and only that worker's", () => {
  const board = GateFds.create(2);
  const [a, b, c] = [openFd(), openFd(), openFd()];
  expect(board.recordFor(0).hold([a, b])).toBe(true);
  expect(board.recordFor(1).hold([c])).toBe(true);
  expect(board.listed(0).sort()).toEqual([a, b].sort());
  expect(board.closeFor(0)).toBe(2);
  expect(isOpen(a) || isOpen(b)).toBe(false);
  expect(isOpen(c)).toBe(true);
  expect(board.listed(0)).toEqual([]);
  expect(board.listed(1)).toEqual([c]);
  board.recordFor(1).drop([c]);
  expect(board.closeFor(1)).toBe(0);
  expect(isOpen(c)).toBe(true);
  libc().close(c);
});

test("a worker whose list is full is told so (its listener then has no gate)", () => {
  const board = GateFds.create(1);
  const rec = board.recordFor(0);
  for (let i = 0; i < FDS_PER_WORKER / 2; i++) expect(rec.hold([1000 + 2 * i, 1001 + 2 * i])).toBe(true);
  expect(rec.hold([5000, 5001])).toBe(false);
  rec.drop([1000, 1001]);
  expect(rec.hold([5000, 5001])).toBe(true);
});

test("whenFreed: at once when a slot freed since the mark, else on the next freed(); one call per wait", async () => {
  const board = GateFds.create(1);
  let calls = 0;
  const then = () => calls++;
  const mark = board.mark();
  board.freed();
  board.whenFreed(mark, then);
  await Bun.sleep(5);
  expect(calls).toBe(1);
  const m2 = board.mark();
  board.whenFreed(m2, then);
  board.whenFreed(m2, then);
  await Bun.sleep(20);
  expect(calls).toBe(1);
  board.freed();
  await Bun.sleep(20);
  expect(calls).toBe(2);
});

test("waiting clients: each worker sees the others' count for a virtual server slot, not its own", () => {
  const board = GateFds.create(3);
  board.setWaiting(0, 5, 2);
  board.setWaiting(1, 5, 3);
  board.setWaiting(2, 6, 7);
  expect(board.waitingElsewhere(0, 5)).toEqual({ waiting: 3, others: 2 });
  expect(board.waitingElsewhere(2, 5)).toEqual({ waiting: 5, others: 2 });
  expect(board.waitingElsewhere(0, 6)).toEqual({ waiting: 7, others: 2 });
  // A dead worker's counts go with its descriptors.
  board.closeFor(1);
  expect(board.waitingElsewhere(0, 5)).toEqual({ waiting: 0, others: 2 });
});

test("open connections: each worker publishes its own and reads the sum; a dead worker's are dropped", () => {
  const board = GateFds.create(2);
  expect(board.live(0, 3)).toBe(3);
  expect(board.live(1, 4)).toBe(7);
  expect(board.live(0, 2)).toBe(6);
  board.closeFor(1);
  expect(board.live(0, 2)).toBe(2);
});
