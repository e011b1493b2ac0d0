import { describe, expect, test } from "bun:test";
import { createScheduler } from "../../core/sched/registry.ts";
import type { SchedulerEnv } from "../../core/sched/types.ts";
import { ctx, servers, testEnv } from "./helpers.ts";

/** An env whose random() replays `values`. */
function scripted(values: number[]): SchedulerEnv {
  let i = 0;
  return { now: () => 0, random: () => values[i++ % values.length]! };
}

describe("twos", () => {
  test("of the two drawn servers keeps the one with fewer connections per weight", () => {
    const list = servers([1, 1, 1, 1]);
    list[0]!.active = 5;
    list[1]!.active = 1;
    list[2]!.active = 3;
    // Equal weights: random() * 4 selects the column; 0.1 -> s0, 0.3 -> s1, 0.6 -> s2.
    const sched = createScheduler("twos", list, {}, scripted([0.1, 0.3, 0.6, 0.1]));
    expect(sched.pick(ctx())!.id).toBe("s1"); // s0 (5) vs s1 (1)
    expect(sched.pick(ctx())!.id).toBe("s2"); // s2 (3) vs s0 (5)
  });

  test("compares per weight: 4 connections on weight 4 beat 2 on weight 1", () => {
    const list = servers([4, 1]);
    list[0]!.active = 4;
    list[1]!.active = 2;
    // Alias table for 4/1: column 0 always s0; column 1 is s1 below 0.4, else s0.
    // 0.6 -> column 1, fraction 0.2 -> s1; 0.1 -> s0.
    const sched = createScheduler("twos", list, {}, scripted([0.6, 0.1, 0.6, 0.6]));
    expect(sched.pick(ctx())!.id).toBe("s0"); // s1 (2/1) vs s0 (4/4)
    expect(sched.pick(ctx())!.id).toBe("s1"); // both draws s1: with replacement, it is the pick
  });

  test("draws in proportion to weight (alias table)", () => {
    const list = servers([6, 3, 1]);
    const sched = createScheduler("twos", list, {}, testEnv(9));
    // With every server idle the first draw wins a tie, so picks follow the draw distribution.
    const n = 30000;
    const counts = [0, 0, 0];
    for (let i = 0; i < n; i++) counts[Number(sched.pick(ctx())!.id.slice(1))]!++;
    [0.6, 0.3, 0.1].forEach((want, i) => {
      expect(Math.abs(counts[i]! / n - want)).toBeLessThan(0.02);
    });
  });
});

describe("peak_ewma", () => {
  test("a slow server is avoided, and tried again once its estimate decays", () => {
    const list = servers([1, 1]);
    const env = testEnv();
    const sched = createScheduler("peak_ewma", list, { decay: 1000 }, env);
    sched.done!(list[0]!, 200, true);
    sched.done!(list[1]!, 20, true);
    expect(sched.pick(ctx())!.id).toBe("s1");
    // s1 carrying 5 outstanding requests at 20 ms costs 120 < 200: still s1.
    list[1]!.inflight = 5;
    expect(sched.pick(ctx())!.id).toBe("s1");
    // At 12 outstanding it costs 260: s0 is cheaper now.
    list[1]!.inflight = 12;
    expect(sched.pick(ctx())!.id).toBe("s0");
    list[1]!.inflight = 0;
    env.advance(5000); // both decay by the same factor: s1 still cheaper
    expect(sched.pick(ctx())!.id).toBe("s1");
  });

  test("a peak replaces the estimate at once; fast samples pull it down gradually", () => {
    const list = servers([1, 1]);
    const env = testEnv();
    const sched = createScheduler("peak_ewma", list, { decay: 10000 }, env);
    sched.done!(list[0]!, 10, true);
    sched.done!(list[1]!, 30, true);
    expect(sched.pick(ctx())!.id).toBe("s0");
    sched.done!(list[0]!, 100, true); // peak
    expect(sched.pick(ctx())!.id).toBe("s1");
    env.advance(10);
    sched.done!(list[0]!, 1, true); // one fast sample barely moves it (10 ms of a 10 s decay)
    expect(sched.pick(ctx())!.id).toBe("s1");
  });

  test("a failure counts as failure_penalty ms", () => {
    const list = servers([1, 1]);
    const sched = createScheduler("peak_ewma", list, { failure_penalty: 5000 }, testEnv());
    sched.done!(list[1]!, 30, true);
    sched.done!(list[0]!, 1, false);
    list[1]!.inflight = 50; // 51 x 30 = 1530 < 5000
    expect(sched.pick(ctx())!.id).toBe("s1");
  });

  test("weight divides the cost", () => {
    const list = servers([4, 1]);
    const sched = createScheduler("peak_ewma", list, {}, testEnv());
    sched.done!(list[0]!, 40, true);
    sched.done!(list[1]!, 12, true);
    expect(sched.pick(ctx())!.id).toBe("s0"); // 40/4 = 10 < 12
  });
});
