import { describe, expect, test } from "bun:test";
import { createScheduler } from "../../core/sched/registry.ts";
import type { SchedServer } from "../../core/sched/types.ts";
import { ctx, servers, testEnv } from "./helpers.ts";

function withActive(weights: number[], active: number[]): SchedServer[] {
  const list = servers(weights);
  active.forEach((a, i) => {
    list[i]!.active = a;
  });
  return list;
}

function pickId(name: string, list: SchedServer[]): string | undefined {
  return createScheduler(name, list, {}, testEnv()).pick(ctx())?.id;
}

describe("lc / wlc ties at light load", () => {
  test("equal loads rotate instead of all going to the first server", () => {
    for (const name of ["lc", "wlc"]) {
      const list = withActive([1, 1, 1], [0, 0, 0]);
      const sched = createScheduler(name, list, {}, testEnv());
      const got = Array.from({ length: 6 }, () => sched.pick(ctx())!.id);
      expect(got).toEqual(["s0", "s1", "s2", "s0", "s1", "s2"]);
    }
  });

  test("a clear winner still wins whatever the rotation", () => {
    const list = withActive([1, 1, 1], [3, 0, 3]);
    const sched = createScheduler("wlc", list, {}, testEnv());
    expect(Array.from({ length: 4 }, () => sched.pick(ctx())!.id)).toEqual(["s1", "s1", "s1", "s1"]);
  });
});

describe("lc / wlc / sed / nq on crafted counts", () => {
  test("lc takes the fewest connections, the earlier server on a tie, ignoring weight", () => {
    expect(pickId("lc", withActive([1, 1, 9, 1], [3, 1, 1, 2]))).toBe("s1");
    expect(pickId("lc", withActive([9, 1], [2, 1]))).toBe("s1");
  });

  test("wlc takes the least active/weight", () => {
    expect(pickId("wlc", withActive([1, 2, 3], [1, 3, 4]))).toBe("s0"); // 1, 1.5, 1.33
    expect(pickId("wlc", withActive([1, 2, 3], [2, 3, 4]))).toBe("s2"); // 2, 1.5, 1.33
    expect(pickId("wlc", withActive([2, 4], [1, 2]))).toBe("s0"); // tie -> earlier
  });

  test("sed counts the new connection: (active + 1) / weight", () => {
    // wlc: 0/1 = 0 beats 1/3; sed: 1/1 = 1 loses to 2/3.
    expect(pickId("wlc", withActive([1, 3], [0, 1]))).toBe("s0");
    expect(pickId("sed", withActive([1, 3], [0, 1]))).toBe("s1");
  });

  test("nq sends to an idle server first, else behaves as sed", () => {
    // sed: 6/10 = 0.6 beats 1/1; nq: s1 is idle.
    expect(pickId("sed", withActive([10, 1], [5, 0]))).toBe("s0");
    expect(pickId("nq", withActive([10, 1], [5, 0]))).toBe("s1");
    expect(pickId("nq", withActive([10, 1], [5, 1]))).toBe("s0");
    expect(pickId("nq", withActive([1, 3], [2, 2]))).toBe("s1"); // 3/1 vs 3/3
  });
});

describe("fo and ovf order", () => {
  test("fo: highest weight, earlier on a tie, next only when unavailable", () => {
    const list = servers([2, 5, 5, 1]);
    const sched = createScheduler("fo", list, {}, testEnv());
    expect(sched.pick(ctx())!.id).toBe("s1");
    list[1]!.active = 100;
    expect(sched.pick(ctx())!.id).toBe("s1"); // load does not matter
    list[1]!.up = false;
    sched.update();
    expect(sched.pick(ctx())!.id).toBe("s2");
    list[2]!.maxConnections = 1;
    list[2]!.active = 1;
    expect(sched.pick(ctx())!.id).toBe("s0");
    list[0]!.weight = 0;
    sched.update();
    expect(sched.pick(ctx())!.id).toBe("s3");
  });

  test("ovf: fills by weight order, each server until active > weight, then nothing", () => {
    const list = servers([3, 1, 2]);
    const sched = createScheduler("ovf", list, {}, testEnv());
    let order = "";
    for (let i = 0; i < 12; i++) {
      const s = sched.pick(ctx());
      if (!s) break;
      s.active++;
      order += s.id.slice(1);
    }
    // IPVS skips a server only once active > weight, so each takes weight + 1.
    expect(order).toBe("000022211");
    expect(sched.pick(ctx())).toBeUndefined();
    list[0]!.active = 2;
    expect(sched.pick(ctx())!.id).toBe("s0");
  });
});
