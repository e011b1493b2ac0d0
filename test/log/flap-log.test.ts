import { expect, test } from "bun:test";
import { FlapLog } from "../../core/log/flap-log.ts";

test("a few per window are logged, the rest counted; the window's end gives the summary", () => {
  const f = new FlapLog<string>(2, 1000);
  expect(f.decide("k", 0).decision).toBe("log");
  expect(f.decide("k", 10).decision).toBe("log");
  expect(f.decide("k", 20, "a").decision).toBe("suppress-first");
  expect(f.decide("k", 30, "b").decision).toBe("suppress");
  expect(f.nextSummaryAt()).toBe(1000);
  expect(f.flush(999)).toEqual([]);
  expect(f.flush(1000)).toEqual([{ key: "k", suppressed: 2, windowMs: 1000, start: 0, last: "b" }]);
  // Without holdAfterSummary the key logs at once again.
  expect(f.size).toBe(0);
  expect(f.decide("k", 1001).decision).toBe("log");
});

test("holdAfterSummary: a window that needed a summary is followed by a silent one", () => {
  const f = new FlapLog<string>(1, 1000, { holdAfterSummary: true });
  f.decide("k", 0);
  f.decide("k", 500, "x");
  expect(f.flush(1000)).toHaveLength(1);
  // Inside the held window [1000, 2000): counted, not logged.
  expect(f.decide("k", 1500, "y").decision).toBe("suppress-first");
  // Its end closes it through decide() too, with its own summary; the next window is held again.
  const r = f.decide("k", 2100, "z");
  expect(r.closed).toMatchObject({ suppressed: 1, start: 1000, last: "y" });
  expect(r.decision).toBe("suppress-first");
  // A held window that passes without events lets the key log at once again.
  expect(f.flush(3000)).toHaveLength(1);
  expect(f.flush(4000)).toEqual([]);
  expect(f.size).toBe(0);
  expect(f.decide("k", 4001).decision).toBe("log");
});

test("maxKeys evicts the least recently seen key and returns its summary", () => {
  const f = new FlapLog<string>(1, 1000, { maxKeys: 2 });
  f.decide("a", 0);
  f.decide("a", 1, "a1");
  f.decide("b", 2);
  f.decide("a", 3, "a2"); // a is now the most recently seen
  const r = f.decide("c", 4);
  expect(r.closed).toBeUndefined(); // b, evicted, had nothing counted
  expect(f.size).toBe(2);
  const r2 = f.decide("d", 5);
  expect(r2.closed).toMatchObject({ key: "a", suppressed: 2, last: "a2" });
  expect(f.size).toBe(2);
  expect(f.drain().map((s) => s.key)).toEqual([]);
});
