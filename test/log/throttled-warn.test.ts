import { expect, test } from "bun:test";
import { memoryLogger } from "../../core/log/logger.ts";
import { ThrottledWarn } from "../../core/log/throttled-warn.ts";
import { FakeClock } from "../check/fake-clock.ts";

function setup(opts: { intervalMs?: number; maxKeys?: number } = {}) {
  const clock = new FakeClock();
  const { logger, lines } = memoryLogger("debug");
  const tw = new ThrottledWarn(logger, {
    intervalMs: opts.intervalMs ?? 10_000,
    ...(opts.maxKeys ? { maxKeys: opts.maxKeys } : {}),
    now: clock.now,
    setTimer: clock.setTimer,
    clearTimer: clock.clearTimer,
  });
  const parsed = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { clock, tw, lines, parsed };
}

test("the first occurrence is logged at once with its reason", () => {
  const { tw, parsed } = setup();
  expect(tw.warn("app/a", "Server app/a failed", { pool: "app", server: "a" }, "connection refused")).toBe(
    true,
  );
  expect(parsed()).toEqual([
    expect.objectContaining({
      level: "warn",
      msg: "Server app/a failed: connection refused",
      pool: "app",
      server: "a",
      reason: "connection refused",
    }),
  ]);
});

test("repeats within the interval become one summary line with the count and the last reason", async () => {
  const { clock, tw, parsed } = setup();
  tw.warn("k", "Server failed", { server: "a" }, "refused");
  for (let i = 0; i < 37; i++) {
    await clock.advance(100);
    expect(tw.warn("k", "Server failed", { server: "a" }, i === 36 ? "reset" : "refused")).toBe(false);
  }
  expect(parsed()).toHaveLength(1);
  await clock.advance(10_000);
  const lines = parsed();
  expect(lines).toHaveLength(2);
  expect(lines[1]).toMatchObject({
    level: "warn",
    server: "a",
    repeated: 37,
    seconds: 10,
    reason: "reset",
  });
  expect(lines[1]!.msg).toBe("Server failed: 37 more times in 10 s, last: reset");
});

test("an event that never stops costs one line per interval; a quiet interval lets the key log at once again", async () => {
  const { clock, tw, parsed } = setup();
  // 60 s of one event every 50 ms: 1,200 events.
  for (let i = 0; i < 1200; i++) {
    tw.warn("k", "Server failed", {}, `r${i}`);
    await clock.advance(50);
  }
  await clock.advance(10_000);
  const lines = parsed();
  // One at once, then one summary per 10 s interval (6 of them), and none lost.
  expect(lines).toHaveLength(7);
  const counted = lines.slice(1).reduce((n, l) => n + (l.repeated as number), 0);
  expect(counted).toBe(1199);
  expect(lines.at(-1)!.reason).toBe("r1199");
  expect(clock.pending).toBe(0);
  // Quiet for longer than an interval: the next one is logged at once.
  await clock.advance(30_000);
  expect(tw.warn("k", "Server failed", {}, "again")).toBe(true);
  expect(parsed().at(-1)).toMatchObject({ msg: "Server failed: again", reason: "again" });
});

test("a single occurrence gets no summary and arms no timer; no reason, no colon", async () => {
  const { clock, tw, parsed } = setup();
  tw.warn("k", "once");
  expect(parsed()[0]!.msg).toBe("once");
  expect(clock.pending).toBe(0);
  await clock.advance(60_000);
  expect(parsed()).toHaveLength(1);
});

test("keys are counted apart", async () => {
  const { clock, tw, parsed } = setup();
  for (let i = 0; i < 5; i++) {
    tw.warn("a", "A failed", { server: "a" }, "refused");
    tw.warn("b", "B failed", { server: "b" }, "reset");
  }
  await clock.advance(10_000);
  const lines = parsed();
  expect(lines.map((l) => [l.server, l.repeated ?? 0])).toEqual([
    ["a", 0],
    ["b", 0],
    ["a", 4],
    ["b", 4],
  ]);
});

test("the number of keys is capped; an evicted key's count is logged, not lost", async () => {
  const { clock, tw, parsed } = setup({ maxKeys: 8 });
  tw.warn("first", "First failed", {}, "x");
  tw.warn("first", "First failed", {}, "y");
  for (let i = 0; i < 10_000; i++) tw.warn(`k${i}`, "K failed", { i }, "z");
  expect(tw.size).toBeLessThanOrEqual(8);
  const lines = parsed();
  expect(lines.find((l) => l.repeated === 1 && l.reason === "y")).toBeDefined();
  await clock.advance(10_000);
  expect(tw.size).toBeLessThanOrEqual(8);
});

test("close() logs pending summaries at once and cancels the timer", () => {
  const { clock, tw, parsed } = setup();
  tw.warn("k", "Server failed", {}, "a");
  tw.warn("k", "Server failed", {}, "b");
  tw.warn("k", "Server failed", {}, "c");
  expect(clock.pending).toBe(1);
  tw.close();
  expect(clock.pending).toBe(0);
  expect(parsed().at(-1)).toMatchObject({ repeated: 2, reason: "c" });
  expect(tw.size).toBe(0);
});

test("a reason quoting what a peer sent stays on one line and bounded", () => {
  const { tw, parsed } = setup();
  tw.warn("k", "Refused", {}, `evil\nFAKE LINE ${"x".repeat(500)}`);
  const line = parsed()[0]!;
  expect(line.msg).not.toContain("\n");
  expect(line.msg).toStartWith("Refused: evil\\x0aFAKE LINE xxx");
  expect((line.msg as string).length).toBeLessThan(260);
});
