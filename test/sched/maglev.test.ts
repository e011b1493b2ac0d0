import { describe, expect, test } from "bun:test";
import { hashString } from "../../core/sched/hash.ts";
import { maglevOffset, maglevSkip, populateMaglev } from "../../core/sched/maglev.ts";
import { createScheduler } from "../../core/sched/registry.ts";
import type { SchedServer } from "../../core/sched/types.ts";
import { ctx, servers, testEnv } from "./helpers.ts";

/**
 * The paper's pseudo-code, literally: a full permutation matrix, then rounds in which each backend
 * in turn claims its next preferred free slot. Slow and obviously correct.
 */
function paperTable(ids: string[], M: number): number[] {
  const permutation = ids.map((id) => {
    const offset = maglevOffset(id, M);
    const skip = maglevSkip(id, M);
    return Array.from({ length: M }, (_, j) => (offset + j * skip) % M);
  });
  const next = ids.map(() => 0);
  const entry = new Array<number>(M).fill(-1);
  let n = 0;
  for (;;) {
    for (let i = 0; i < ids.length; i++) {
      let c = permutation[i]![next[i]!]!;
      while (entry[c]! >= 0) {
        next[i]!++;
        c = permutation[i]![next[i]!]!;
      }
      entry[c] = i;
      next[i]!++;
      n++;
      if (n === M) return entry;
    }
  }
}

const keys = Array.from({ length: 20000 }, (_, i) => `key-${i}`);

function mapping(list: SchedServer[], options: Record<string, unknown> = {}): (string | undefined)[] {
  const sched = createScheduler("mh", list, { key: "capture", ...options }, testEnv());
  return keys.map((k) => sched.pick(ctx({ hashKey: k }))?.id);
}

describe("mh (Maglev)", () => {
  test("populates the same table as the paper's pseudo-code", () => {
    for (const M of [251, 65537]) {
      const ids = ["alpha", "beta", "gamma", "delta", "epsilon"];
      const want = paperTable(ids, M);
      const got = populateMaglev(ids, [1, 1, 1, 1, 1], M);
      expect(Array.from(got)).toEqual(want);
    }
  });

  test("picks the server the reference table names for the key's hash (ids sorted)", () => {
    const list = [SchedServerNamed("web-c"), SchedServerNamed("web-a"), SchedServerNamed("web-b")];
    const sorted = ["web-a", "web-b", "web-c"];
    const ref = paperTable(sorted, 251);
    const sched = createScheduler("mh", list, { key: "capture", table_size: 251 }, testEnv());
    for (const k of keys.slice(0, 2000)) {
      expect(sched.pick(ctx({ hashKey: k }))!.id).toBe(sorted[ref[hashString(k) % 251]!]!);
    }
  });

  test("a server removed from the list moves at most 1/N + 1% of keys; re-adding restores the mapping", () => {
    for (const n of [5, 10, 20]) {
      const list = servers(new Array(n).fill(1));
      const before = mapping(list);
      const [gone] = list.splice(3, 1);
      const after = mapping(list);
      const moved = keys.filter((_, i) => before[i] !== after[i]).length / keys.length;
      expect(moved).toBeLessThanOrEqual(1 / n + 0.01);
      expect(moved).toBeGreaterThan(0);
      list.splice(3, 0, gone!);
      expect(mapping(list)).toEqual(before);
    }
  });

  test("a server going down moves only its own keys (fallback), and coming back restores them", () => {
    const list = servers(new Array(10).fill(1));
    const before = mapping(list);
    list[3]!.up = false;
    const after = mapping(list);
    keys.forEach((_, i) => {
      if (before[i] !== "s3") expect(after[i]).toBe(before[i]);
      else expect(after[i]).not.toBe("s3");
    });
    // Its keys are spread over the others, not dumped on one neighbour.
    expect(new Set(after.filter((_, i) => before[i] === "s3")).size).toBeGreaterThan(5);
    list[3]!.up = true;
    expect(mapping(list)).toEqual(before);
  });

  test("without fallback a down server leaves the table: at most 1/N + 1% of keys move", () => {
    const list = servers(new Array(10).fill(1));
    const before = mapping(list, { fallback: false });
    list[3]!.up = false;
    const after = mapping(list, { fallback: false });
    expect(after.includes(undefined)).toBe(false);
    expect(after.includes("s3")).toBe(false);
    expect(keys.filter((_, i) => before[i] !== after[i]).length / keys.length).toBeLessThanOrEqual(0.11);
  });

  test("draining (weight 0) moves only the drained server's keys", () => {
    const list = servers(new Array(8).fill(1));
    const before = mapping(list);
    list[2]!.weight = 0;
    const after = mapping(list);
    keys.forEach((_, i) => {
      if (before[i] !== "s2") expect(after[i]).toBe(before[i]);
      else expect(after[i]).not.toBe("s2");
    });
  });

  test("without fallback a full server's keys get no server", () => {
    const list = servers([1, 1]);
    list[0]!.maxConnections = 1;
    list[0]!.active = 1;
    const got = mapping(list, { fallback: false });
    expect(got.includes(undefined)).toBe(true);
    expect(got.includes("s0")).toBe(false);
  });

  test("weights give proportional shares of the table", () => {
    const got = mapping(servers([3, 1]));
    const share = got.filter((id) => id === "s0").length / got.length;
    expect(Math.abs(share - 0.75)).toBeLessThan(0.02);
  });

  test("port option spreads one client's connections by source port", () => {
    const list = servers([1, 1, 1, 1]);
    const plain = createScheduler("mh", list, {}, testEnv());
    const ported = createScheduler("mh", list, { port: true }, testEnv());
    const ids = (s: typeof plain) =>
      new Set(
        Array.from(
          { length: 200 },
          (_, p) => s.pick(ctx({ sourceIp: "10.1.1.1", sourcePort: 1000 + p }))!.id,
        ),
      );
    expect(ids(plain).size).toBe(1);
    expect(ids(ported).size).toBe(4);
  });
});

function SchedServerNamed(id: string): SchedServer {
  return servers([1], "x").map((s) => ({ ...s, id }))[0]!;
}
