import { describe, expect, test } from "bun:test";
import { createScheduler } from "../../core/sched/registry.ts";
import { ctx, prng, servers, testEnv } from "./helpers.ts";

describe("chbl (consistent hashing with bounded loads)", () => {
  for (const c of [1.25, 1.5]) {
    test(`never lets a server exceed ceil(${c} x average) even for one hot key`, () => {
      const list = servers(new Array(10).fill(1));
      const sched = createScheduler("chbl", list, { load_factor: c, key: "capture" }, testEnv());
      const rand = prng(5);
      const open: typeof list = [];
      const hotServers = new Set<string>();
      for (let i = 0; i < 5000; i++) {
        const key = rand() < 0.7 ? "hot" : `k${Math.floor(rand() * 1000)}`;
        const total = list.reduce((a, s) => a + s.active, 0);
        const s = sched.pick(ctx({ hashKey: key }))!;
        expect(s.active + 1).toBeLessThanOrEqual(Math.ceil((c * (total + 1)) / list.length));
        if (key === "hot") hotServers.add(s.id);
        s.active++;
        open.push(s);
        if (open.length > 200) open.splice(Math.floor(rand() * open.length), 1)[0]!.active--;
      }
      // The hot key had to spill past its own server.
      expect(hotServers.size).toBeGreaterThan(1);
    });
  }

  test("weighted bounds: a server may hold up to c x its weight share", () => {
    const list = servers([3, 1, 1, 1]);
    const sched = createScheduler("chbl", list, { key: "capture" }, testEnv());
    for (let i = 0; i < 600; i++) {
      const total = list.reduce((a, s) => a + s.active, 0);
      const s = sched.pick(ctx({ hashKey: "same" }))!;
      expect(s.active + 1).toBeLessThanOrEqual(Math.ceil((1.25 * (total + 1) * s.weight) / 6));
      s.active++;
    }
    expect(list[0]!.active).toBeGreaterThan(list[1]!.active * 2);
  });

  test("unloaded, a key stays put; a server going down moves only its own keys", () => {
    const list = servers(new Array(6).fill(1));
    const sched = createScheduler("chbl", list, { key: "capture" }, testEnv());
    const keys = Array.from({ length: 3000 }, (_, i) => `u${i}`);
    const before = keys.map((k) => sched.pick(ctx({ hashKey: k }))!.id);
    expect(keys.map((k) => sched.pick(ctx({ hashKey: k }))!.id)).toEqual(before);
    list[4]!.up = false;
    sched.update();
    const after = keys.map((k) => sched.pick(ctx({ hashKey: k }))!.id);
    keys.forEach((_, i) => {
      if (before[i] !== "s4") expect(after[i]).toBe(before[i]!);
      else expect(after[i]).not.toBe("s4");
    });
  });
});
