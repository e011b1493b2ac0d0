// The rate limiters and per-source counts: one conformance suite over the process's own
// (LocalRateLimiter) and the one shared by data-path workers (SharedRateLimiter), the shared table's
// bound, and two threads counting on the same tables at once.

import { describe, expect, test } from "bun:test";
import type { VirtualServerConfig } from "../../core/config/types.ts";
import { LocalRateLimiter, type RateLimiter } from "../../core/switch/rate-limiter.ts";
import { layoutLimits, sharedLimitStore } from "../../core/switch/shared-limits.ts";
import { rateLimitBuffer, SharedRateLimiter } from "../../core/switch/shared-rate-limiter.ts";
import { SharedSourceCounts, sourceCountsBuffer } from "../../core/switch/shared-source-counts.ts";
import { type SourceCounter, SourceCounts } from "../../core/switch/source-counts.ts";

const kinds: Array<[string, (count: number, ms: number, burst: number, maxKeys: number) => RateLimiter]> = [
  ["LocalRateLimiter", (c, ms, b, n) => new LocalRateLimiter(c, ms, b, n)],
  ["SharedRateLimiter", (c, ms, b, n) => new SharedRateLimiter(c, ms, b, rateLimitBuffer(n))],
];

for (const [name, make] of kinds) {
  describe(`${name} (conformance)`, () => {
    test("count per period plus burst, then one per step; Retry-After is the time to the next", () => {
      const l = make(2, 1000, 1, 10);
      expect([l.take("k", 0), l.take("k", 0), l.take("k", 0)]).toEqual([0, 0, 0]);
      expect(l.take("k", 0)).toBe(500);
      expect(l.take("k", 499)).toBe(1);
      expect(l.take("k", 500)).toBe(0);
      expect(l.take("k", 500)).toBe(500);
    });

    test("a fractional step accumulates exactly (3 per second)", () => {
      const l = make(3, 1000, 0, 10);
      expect([l.take("k", 0), l.take("k", 0), l.take("k", 0)]).toEqual([0, 0, 0]);
      expect(l.take("k", 0)).toBeCloseTo(1000 / 3, 6);
      expect(l.take("k", 1000 / 3)).toBe(0);
    });

    test("each key has its own bucket; an idle key starts full again", () => {
      const l = make(1, 1000, 0, 10);
      expect(l.take("a", 0)).toBe(0);
      expect(l.take("a", 10)).toBe(990);
      expect(l.take("b", 10)).toBe(0);
      expect(l.size).toBe(2);
      expect(l.take("a", 5000)).toBe(0);
      expect(l.take("a", 5000)).toBe(1000);
    });

    test("wall-clock times (Date.now() scale) count as small ones do", () => {
      const t = 1_800_000_000_123;
      const l = make(10, 10_000, 0, 10);
      const got = Array.from({ length: 12 }, () => l.take("10.1.2.3", t));
      expect(got.filter((w) => w === 0).length).toBe(10);
      expect(got.at(-1)).toBe(1000);
    });
  });
}

describe("SharedRateLimiter", () => {
  test("keys are bounded by the table: 5000 keys in a table for 8 keep at most its 16 entries", () => {
    const b = rateLimitBuffer(8);
    expect(new Int32Array(b)[1]).toBe(16);
    const l = new SharedRateLimiter(1, 60_000, 0, b);
    for (let i = 0; i < 5000; i++) l.take(`k${i}`, i);
    expect(l.size).toBeLessThanOrEqual(16);
    expect(l.size).toBeGreaterThan(0);
    // The most recent key is still counted; the first was evicted and starts afresh.
    expect(l.take("k4999", 5000)).toBeGreaterThan(0);
    expect(l.take("k0", 5000)).toBe(0);
  });

  test("the least recently used of a full probe window goes, not a busy key", () => {
    const l = new SharedRateLimiter(1000, 60_000, 0, rateLimitBuffer(8));
    // "busy" is used between every newcomer: it is never the least recently used of its window.
    for (let i = 0; i < 200; i++) {
      l.take("busy", i * 2);
      l.take(`n${i}`, i * 2 + 1);
    }
    // Its bucket was never dropped: 200 steps of 60 ms are owed (tat 12 000), so at 500 ms it may run
    // ahead to 500 + 59 940 (the slack): 808 more. A new bucket would allow 1000.
    let more = 0;
    while (l.take("busy", 500) === 0) more++;
    expect(more).toBe(Math.floor((500 + 59_940 - 200 * 60) / 60) + 1);
  });

  test("two views of one buffer are one bucket (as two workers see it)", () => {
    const b = rateLimitBuffer(100);
    const w0 = new SharedRateLimiter(3, 60_000, 0, b);
    const w1 = new SharedRateLimiter(3, 60_000, 0, b);
    expect([w0.take("c", 0), w1.take("c", 0), w0.take("c", 0), w1.take("c", 0)]).toEqual([0, 0, 0, 20_000]);
  });

  test("long keys hash apart: no two of 20 000 addresses share a bucket", () => {
    const l = new SharedRateLimiter(1, 60_000, 0, rateLimitBuffer(50_000));
    let refused = 0;
    for (let i = 0; i < 20_000; i++) if (l.take(`2001:db8::${i.toString(16)}`, 0) > 0) refused++;
    expect(refused).toBe(0);
    expect(l.size).toBe(20_000);
  });
});

const counters: Array<[string, () => SourceCounter]> = [
  ["SourceCounts", () => new SourceCounts()],
  ["SharedSourceCounts", () => new SharedSourceCounts(sourceCountsBuffer(64, 2), 2, 0)],
];

for (const [name, make] of counters) {
  test(`${name}: at most max per address; a leave makes room; an entry only while connections are open`, () => {
    const c = make();
    expect([c.enter("a", 2), c.enter("a", 2), c.enter("a", 2), c.enter("b", 2)]).toEqual([
      true,
      true,
      false,
      true,
    ]);
    expect(c.size).toBe(2);
    c.leave("a");
    expect(c.enter("a", 2)).toBe(true);
    c.leave("a");
    c.leave("a");
    c.leave("b");
    expect(c.size).toBe(0);
    // Unlimited (0) still counts: a limit set later by a reload sees the connections open.
    for (let i = 0; i < 5; i++) expect(c.enter("z", 0)).toBe(true);
    expect(c.size).toBe(1);
  });
}

describe("SharedSourceCounts", () => {
  test("a dead worker's connections are taken back out; the others' stay", () => {
    const b = sourceCountsBuffer(64, 2);
    const w0 = new SharedSourceCounts(b, 2, 0);
    const w1 = new SharedSourceCounts(b, 2, 1);
    expect([w0.enter("a", 3), w1.enter("a", 3), w1.enter("a", 3), w1.enter("b", 3)]).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(w0.enter("a", 3)).toBe(false);
    SharedSourceCounts.forget(b, 2, 1);
    // Worker 1's two on "a" and its one on "b" are gone: "a" has worker 0's one.
    expect(w0.size).toBe(1);
    expect([w0.enter("a", 3), w0.enter("a", 3), w0.enter("a", 3)]).toEqual([true, true, false]);
  });

  test("a full probe window admits uncounted rather than refusing or overwriting", () => {
    const c = new SharedSourceCounts(sourceCountsBuffer(8, 1), 1, 0);
    const counted: string[] = [];
    const uncounted: string[] = [];
    for (let i = 0; i < 100; i++) {
      const ip = `10.0.0.${i}`;
      const before = c.size;
      expect(c.enter(ip, 1)).toBe(true);
      (c.size > before ? counted : uncounted).push(ip);
    }
    expect(counted.length).toBe(16);
    // Those that got an entry are held to their limit.
    expect(counted.filter((ip) => c.enter(ip, 1))).toEqual([]);
    for (const ip of counted) c.leave(ip);
    expect(c.size).toBe(0);
    // An address admitted uncounted gets an entry for its next connection; closing the uncounted one
    // takes nothing off that entry.
    const x = uncounted[0]!;
    expect(c.enter(x, 1)).toBe(true);
    c.leave(x);
    expect(c.size).toBe(1);
    expect(c.enter(x, 1)).toBe(false);
    c.leave(x);
    expect(c.size).toBe(0);
  });
});

test("two threads on the same tables count exactly", async () => {
  const rate = rateLimitBuffer(16);
  const sources = sourceCountsBuffer(16, 2);
  const url = new URL("./fixtures/limits-hammer.ts", import.meta.url);
  const workers = [new Worker(url), new Worker(url)];
  const n = 20_000;
  const results = await Promise.all(
    workers.map(
      (w, worker) =>
        new Promise<{ allowed: number; admitted: number }>((resolve, reject) => {
          w.onmessage = (ev) => resolve(ev.data);
          w.onerror = (e) => reject(e);
          w.postMessage({ rate, sources, worker, n });
        }),
    ),
  );
  for (const w of workers) w.terminate();
  expect(results[0]!.allowed + results[1]!.allowed).toBe(1000);
  expect(results[0]!.admitted + results[1]!.admitted).toBe(700);
  const view = new SharedSourceCounts(sources, 2, 0);
  // The churned address left no entry; the held one is at its limit.
  expect(view.size).toBe(1);
  expect(view.enter("10.0.0.3", 700)).toBe(false);
}, 60_000);

describe("layout (main thread) and store (workers)", () => {
  const vs = (limit: Array<Record<string, unknown>>, perSource = 0) =>
    ({
      name: "web",
      max_connections: 0,
      max_connections_per_source: perSource,
      limit: limit.map((l) => ({
        key: "source",
        rate: { count: 1, ms: 60_000 },
        burst: 0,
        max_keys: 100,
        ...l,
      })),
    }) as unknown as VirtualServerConfig;

  test("a reload keeps an unchanged limit's counters and starts a changed one afresh", () => {
    const t = { limits: {}, sources: {}, maxWorkers: 2 };
    layoutLimits(t, [vs([{}, { burst: 1 }], 2)]);
    const store = sharedLimitStore(t, 0);
    const before = vs([{}, { burst: 1 }], 2).limit.map((l, i) => store.limiters("web")(l, i));
    expect(before.map((l) => l.take("c", 0))).toEqual([0, 0]);
    expect(before.map((l) => l.take("c", 0))).toEqual([60_000, 0]);
    const src = store.sources("web")!;
    expect(src.enter("c", 2)).toBe(true);
    // Limit 2 changes its burst; limit 1 and the per-source table stay.
    layoutLimits(t, [vs([{}, { burst: 2 }], 2)]);
    const after = vs([{}, { burst: 2 }], 2).limit.map((l, i) => store.limiters("web")(l, i));
    expect(after[0]!.take("c", 0)).toBe(60_000);
    expect(after[1]!.take("c", 0)).toBe(0);
    expect(store.sources("web")).toBe(src);
    expect(src.size).toBe(1);
    // A reload refused by a worker puts the previous config back: its limit finds its counters again.
    layoutLimits(t, [vs([{}, { burst: 1 }], 2)]);
    expect(
      store
        .limiters("web")(vs([{}, { burst: 1 }]).limit[1]!, 1)
        .take("c", 0),
    ).toBe(60_000);
    // A virtual server that goes takes its tables along.
    layoutLimits(t, []);
    expect(t).toEqual({ limits: {}, sources: {}, maxWorkers: 2 });
  });
});
