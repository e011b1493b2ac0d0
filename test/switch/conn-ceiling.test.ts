// The connection limits' policy on its own, with fake listeners: pause at a limit and resume below it,
// back off after running out of descriptors, close the oldest idle connections near a limit (only
// those idle long enough), and one log line per interval with a count.

import { expect, test } from "bun:test";
import { memoryLogger } from "../../core/log/logger.ts";
import {
  BACKOFF_MS,
  ConnCeiling,
  EveryInterval,
  type GlobalSlots,
  type Gate,
  type IdleConn,
  type Listening,
  REAP_MIN_IDLE_MS,
} from "../../core/switch/conn-ceiling.ts";
import type { VsRuntime } from "../../core/switch/runtime.ts";

class FakeGate implements Gate {
  paused = false;
  queue = 0;
  pause(): boolean {
    this.paused = true;
    return true;
  }
  resume(): boolean {
    this.paused = false;
    return true;
  }
  backlog(): number {
    return this.queue;
  }
  restore(): void {
    this.paused = false;
  }
}

function setup(vsMax: number, globalMax = Number.POSITIVE_INFINITY) {
  const rt = {
    cfg: { max_connections: vsMax },
    conns: new Set<unknown>(),
    idle: new Set<IdleConn>(),
    draining: false,
    svc: { now: () => 0 },
  } as unknown as VsRuntime;
  const gate = new FakeGate();
  const l: Listening = { rt, gates: [gate] };
  const { logger, lines } = memoryLogger("info");
  const c = new ConnCeiling(() => [l], logger, 1000);
  c.max = globalMax;
  const reaped: number[] = [];
  let n = 0;
  // The limits only count connections: numbers stand in for them.
  const conns = rt.conns as unknown as Set<number>;
  const open = (now: number) => {
    const id = n++;
    conns.add(id);
    c.opened(rt, now);
    return id;
  };
  const close = (id: number, now: number) => {
    conns.delete(id);
    c.closed(now);
  };
  const idle = (id: number, since: number) => {
    const conn: IdleConn = {
      idleSince: since,
      reap: () => {
        rt.idle.delete(conn);
        reaped.push(id);
      },
    };
    rt.idle.add(conn);
  };
  return { c, rt, gate, lines, reaped, open, close, idle };
}

test("the listener pauses at the global ceiling and resumes below it; the pause is logged", () => {
  const t = setup(1000, 3);
  const a = t.open(0);
  t.open(0);
  expect(t.gate.paused).toBe(false);
  t.open(0);
  expect(t.gate.paused).toBe(true);
  expect(t.lines.some((l) => /Connection limit reached.*"count":1/.test(l))).toBe(true);
  t.close(a, 10);
  expect(t.gate.paused).toBe(false);
});

test("a virtual server's own max_connections pauses its listener", () => {
  const t = setup(2);
  t.open(0);
  t.open(0);
  expect(t.gate.paused).toBe(true);
});

test("out of descriptors: paused for BACKOFF_MS, logged once per interval with a count", () => {
  const t = setup(1000);
  t.c.fdShortage("EMFILE", 0);
  expect(t.gate.paused).toBe(true);
  t.c.fdShortage("EMFILE", 100);
  t.c.fdShortage("EMFILE", 200);
  expect(t.lines.filter((l) => /Out of file descriptors/.test(l)).length).toBe(1);
  t.c.tick(200 + BACKOFF_MS - 1);
  expect(t.gate.paused).toBe(true);
  t.c.tick(200 + BACKOFF_MS);
  expect(t.gate.paused).toBe(false);
  const last = t.lines.filter((l) => /Out of file descriptors/.test(l)).at(-1)!;
  expect(last).toMatch(/"reason":"EMFILE"/);
  expect(last).toMatch(/"count":2/);
});

test("near a limit each new connection closes the oldest idle one, if idle long enough", () => {
  const t = setup(20);
  for (let i = 0; i < 18; i++) t.idle(t.open(0), 0);
  // 19th: within 5% (1 slot) of 20 and the idle ones are fresh: none closed.
  t.open(REAP_MIN_IDLE_MS - 1);
  expect(t.reaped).toEqual([]);
  t.open(REAP_MIN_IDLE_MS);
  expect(t.reaped).toEqual([0]);
});

test("clients waiting behind a paused listener make the tick close as many idle connections", () => {
  const t = setup(4);
  for (let i = 0; i < 4; i++) t.idle(t.open(0), i);
  expect(t.gate.paused).toBe(true);
  t.gate.queue = 2;
  t.c.tick(5000);
  expect(t.reaped).toEqual([0, 1]);
});

test("EveryInterval: the first event is written at once, the rest summed per interval", () => {
  const out: number[] = [];
  const e = new EveryInterval(1000, (n) => out.push(n));
  e.hit(0);
  e.hit(10);
  e.hit(20);
  e.flush(999);
  expect(out).toEqual([1]);
  e.flush(1000);
  expect(out).toEqual([1, 2]);
  e.flush(5000);
  expect(out).toEqual([1, 2]);
});

/** A count shared with other workers, which the test plays: full or not, their waiting clients. */
function sharedSlots() {
  const g = {
    full: false,
    parked: 0,
    elsewhere: 0,
    published: -1,
    waits: [] as number[],
    gen: 7,
    othersLive: 0,
  };
  const slots: GlobalSlots = {
    mark: () => g.gen,
    full: () => g.full,
    parked: () => g.parked,
    wait: (mark) => void g.waits.push(mark),
    waiting: (_rt, mine) => {
      g.published = mine;
      return g.elsewhere;
    },
    live: (mine) => mine + g.othersLive,
  };
  return { g, slots };
}

test("workers: the listener pauses while the shared count is full, waits for a slot from the mark, resumes", () => {
  const t = setup(4);
  const { g, slots } = sharedSlots();
  t.c.global = slots;
  g.full = true;
  t.c.sync(0);
  expect(t.gate.paused).toBe(true);
  // The wait starts from the generation read before the look, so a slot freed since is not missed.
  expect(g.waits).toEqual([7]);
  g.full = false;
  t.c.sync(10);
  expect(t.gate.paused).toBe(false);
  // A parked connection goes first: the listener stays paused until it is in.
  g.parked = 1;
  t.c.sync(20);
  expect(t.gate.paused).toBe(true);
});

test("workers: clients waiting in another worker's queue make this one close its own oldest idle", () => {
  const t = setup(4);
  const { g, slots } = sharedSlots();
  t.c.global = slots;
  const a = t.open(0);
  t.idle(a, 0);
  t.gate.queue = 0;
  g.full = true;
  g.elsewhere = 1;
  t.c.tick(REAP_MIN_IDLE_MS + 10);
  expect(t.reaped).toEqual([a]);
  // This worker's own waiting clients (queued and parked) are published for the others.
  g.parked = 2;
  t.gate.queue = 3;
  t.c.tick(REAP_MIN_IDLE_MS + 20);
  expect(g.published).toBe(5);
  // Not full: nothing is closed for the others.
  const b = t.open(0);
  t.idle(b, 0);
  g.full = false;
  g.parked = 0;
  t.gate.queue = 0;
  t.c.tick(REAP_MIN_IDLE_MS + 30);
  expect(t.reaped).toEqual([a]);
});
