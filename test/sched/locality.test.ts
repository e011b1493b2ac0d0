import { describe, expect, test } from "bun:test";
import { isOverloaded } from "../../core/sched/locality.ts";
import { createScheduler } from "../../core/sched/registry.ts";
import { ctx, servers, testEnv } from "./helpers.ts";

const req = (path: string) => ctx({ host: "cache.test", uri: path });

describe("kernel overload rule", () => {
  test("overloaded only when active > weight and some server is below half its weight", () => {
    const list = servers([2, 4]);
    list[0]!.active = 3;
    list[1]!.active = 1; // 1 * 2 < 4
    expect(isOverloaded(list[0]!, list)).toBe(true);
    list[1]!.active = 2; // 2 * 2 = 4: not below half
    expect(isOverloaded(list[0]!, list)).toBe(false);
    list[0]!.active = 2; // not above its weight
    list[1]!.active = 0;
    expect(isOverloaded(list[0]!, list)).toBe(false);
  });
});

describe("lblc", () => {
  test("a key sticks to its server while it is not overloaded, then moves to the least loaded", () => {
    const list = servers([2, 2, 2]);
    const sched = createScheduler("lblc", list, {}, testEnv());
    const first = sched.pick(req("/a"))!;
    expect(first.id).toBe("s0");
    first.active = 2; // at its weight: not overloaded although others are idle
    expect(sched.pick(req("/a"))).toBe(first);
    first.active = 3; // above weight, and s1 is below half: overloaded
    const moved = sched.pick(req("/a"))!;
    expect(moved.id).toBe("s1");
    first.active = 0;
    expect(sched.pick(req("/a"))).toBe(moved); // the entry now names s1
  });

  test("stays on an overloaded server when nobody is below half weight", () => {
    const list = servers([2, 2]);
    const sched = createScheduler("lblc", list, {}, testEnv());
    const s = sched.pick(req("/x"))!;
    s.active = 9;
    list[1]!.active = 1; // 1 * 2 = 2: not below half
    expect(sched.pick(req("/x"))).toBe(s);
  });

  test("an unused key expires after `expiration` ms (injected clock)", () => {
    const list = servers([1, 1]);
    const env = testEnv();
    const sched = createScheduler("lblc", list, { expiration: 60000 }, env);
    expect(sched.pick(req("/e"))!.id).toBe("s0");
    list[0]!.active = 1; // wlc would now choose s1, but the entry holds
    env.advance(59000);
    expect(sched.pick(req("/e"))!.id).toBe("s0");
    env.advance(60000); // used at 59 s, so alive until 119 s
    expect(sched.pick(req("/e"))!.id).toBe("s0");
    env.advance(60001);
    expect(sched.pick(req("/e"))!.id).toBe("s1");
  });

  test("the table is bounded: the least recently used key goes first", () => {
    const list = servers([1, 1]);
    const sched = createScheduler("lblc", list, { table_size: 2 }, testEnv());
    expect(sched.pick(req("/1"))!.id).toBe("s0");
    list[0]!.active = 1;
    expect(sched.pick(req("/2"))!.id).toBe("s1");
    list[1]!.active = 1;
    sched.pick(req("/1")); // touch /1: /2 is now the oldest
    sched.pick(req("/3")); // evicts /2
    list[0]!.active = 5;
    expect(sched.pick(req("/1"))!.id).toBe("s0"); // still remembered
    list[1]!.active = 9;
    list[0]!.active = 0;
    expect(sched.pick(req("/2"))!.id).toBe("s0"); // forgotten: rescheduled by wlc
  });

  test("query strings share the key by default (Host + path)", () => {
    const list = servers([1, 1]);
    const sched = createScheduler("lblc", list, {}, testEnv());
    const s = sched.pick(req("/obj?v=1"))!;
    s.active = 1;
    expect(sched.pick(req("/obj?v=2"))).toBe(s);
  });
});

describe("lblcr", () => {
  test("the server set grows under overload and later picks use its least loaded member", () => {
    const list = servers([2, 2, 2]);
    const sched = createScheduler("lblcr", list, {}, testEnv());
    const a = sched.pick(req("/hot"))!;
    expect(a.id).toBe("s0");
    a.active = 3; // overloaded (s1 idle)
    const b = sched.pick(req("/hot"))!;
    expect(b.id).toBe("s1");
    b.active = 3; // both members overloaded; s2 idle
    const c = sched.pick(req("/hot"))!;
    expect(c.id).toBe("s2");
    // Set is {s0, s1, s2}; the least loaded member wins without rescheduling.
    list[0]!.active = 1;
    list[1]!.active = 2;
    list[2]!.active = 2;
    expect(sched.pick(req("/hot"))!.id).toBe("s0");
  });

  test("after `expiration` ms without growth the most loaded member is dropped, one per period", () => {
    const list = servers([4, 4, 4]);
    const env = testEnv();
    const sched = createScheduler("lblcr", list, { expiration: 10000 }, env);
    sched.pick(req("/t")); // {s0}
    list[0]!.active = 5;
    sched.pick(req("/t")); // {s0, s1}
    list[1]!.active = 5;
    sched.pick(req("/t")); // {s0, s1, s2}
    for (const s of list) s.active = 1;
    list[2]!.active = 3; // most loaded
    list[1]!.active = 2;
    env.advance(6000);
    expect(sched.pick(req("/t"))!.id).toBe("s0"); // in use, no growth, not yet trimmed
    env.advance(4001); // 10001 ms since the set last grew
    expect(sched.pick(req("/t"))!.id).toBe("s0"); // trims s2
    list[0]!.active = 4; // s0 now the most loaded member
    list[2]!.active = 0;
    expect(sched.pick(req("/t"))!.id).toBe("s1"); // s2, though idle, is no longer a member
    env.advance(6000);
    sched.pick(req("/t"));
    env.advance(4001);
    sched.pick(req("/t")); // trims s0, the most loaded
    list[1]!.active = 4;
    list[0]!.active = 0;
    // Set is {s1}: s1 is not overloaded (4 <= 4), so it keeps the key though s0 is idle.
    expect(sched.pick(req("/t"))!.id).toBe("s1");
  });

  test("an unused key expires entirely", () => {
    const list = servers([1, 1]);
    const env = testEnv();
    const sched = createScheduler("lblcr", list, { expiration: 5000 }, env);
    expect(sched.pick(req("/z"))!.id).toBe("s0");
    list[0]!.active = 1;
    env.advance(5001);
    expect(sched.pick(req("/z"))!.id).toBe("s1");
  });
});
