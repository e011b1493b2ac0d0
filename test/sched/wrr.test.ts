import { describe, expect, test } from "bun:test";
import { createScheduler } from "../../core/sched/registry.ts";
import { ctx, prng, servers, testEnv } from "./helpers.ts";

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * IPVS ip_vs_wrr_schedule() in the kernel's own shape: a list with a head sentinel (-1), a current
 * weight cw starting at the max weight (minus gcd - 1), and each time the walk passes the head,
 * cw -= gcd, wrapping to the max when it reaches 0. A dest is picked when weight >= cw.
 */
function ipvsReference(weights: number[], picks: number): number[] {
  let g = 0;
  for (const w of weights) if (w > 0) g = g ? gcd(w, g) : w;
  const di = g || 1;
  const mw = Math.max(...weights) - (di - 1);
  let cw = mw;
  let cl = -1;
  const out: number[] = [];
  while (out.length < picks) {
    let dest = cl;
    for (;;) {
      let found = -1;
      for (let i = dest + 1; i < weights.length; i++) {
        if (weights[i]! >= cw) {
          found = i;
          break;
        }
      }
      if (found >= 0) {
        cl = found;
        break;
      }
      cw -= di;
      if (cw <= 0) cw = mw;
      dest = -1;
    }
    out.push(cl);
  }
  return out;
}

function sequence(weights: number[], picks: number, name = "wrr"): string {
  const sched = createScheduler(name, servers(weights), {}, testEnv());
  let out = "";
  for (let i = 0; i < picks; i++) out += String.fromCharCode(65 + Number(sched.pick(ctx())!.id.slice(1)));
  return out;
}

describe("wrr", () => {
  test("5/1/1 follows IPVS's gcd stepping: A A A A A B C per cycle", () => {
    // cw = 5,4,3,2: only A qualifies; cw = 1: A, B, C.
    expect(sequence([5, 1, 1], 14)).toBe("AAAAABCAAAAABC");
  });

  test("4/3/2 interleaves: A A B A B C A B C", () => {
    expect(sequence([4, 3, 2], 9)).toBe("AABABCABC");
  });

  test("gcd > 1 steps by the gcd (4/2 = A A B)", () => {
    expect(sequence([4, 2], 6)).toBe("AABAAB");
  });

  test("agrees with the transcribed kernel loop on random weights", () => {
    const rand = prng(42);
    for (let round = 0; round < 50; round++) {
      const n = 1 + Math.floor(rand() * 8);
      const weights = Array.from({ length: n }, () => 1 + Math.floor(rand() * 10) * (rand() < 0.3 ? 2 : 1));
      const want = ipvsReference(weights, 200)
        .map((i) => String.fromCharCode(65 + i))
        .join("");
      expect(sequence(weights, 200)).toBe(want);
    }
  });

  test("a weight change keeps the cycle going without a reset to the first server", () => {
    const list = servers([1, 1, 1]);
    const sched = createScheduler("wrr", list, {}, testEnv());
    expect(sched.pick(ctx())!.id).toBe("s0");
    list[2]!.weight = 2;
    sched.update();
    // IPVS would restart at the head (s0); we continue after s0 at the same cw, then step on.
    expect([1, 2, 3, 4, 5, 6].map(() => sched.pick(ctx())!.id)).toEqual(["s1", "s2", "s2", "s0", "s1", "s2"]);
  });

  test("skips a full server in the sequence and resumes", () => {
    const list = servers([2, 1]);
    list[0]!.maxConnections = 1;
    list[0]!.active = 1;
    const sched = createScheduler("wrr", list, {}, testEnv());
    expect([0, 1, 2].map(() => sched.pick(ctx())!.id)).toEqual(["s1", "s1", "s1"]);
    list[0]!.active = 0;
    expect(sched.pick(ctx())!.id).toBe("s0");
  });
});

describe("swrr", () => {
  test("5/1/1 is spread evenly, no burst: A A B A C A A", () => {
    expect(sequence([5, 1, 1], 14, "swrr")).toBe("AABACAAAABACAA");
  });

  test("never sends more than ceil(w/total * k) + 1 picks in any window of k to one server", () => {
    const seq = sequence([5, 3, 1, 1], 200, "swrr");
    const k = 10;
    for (let i = 0; i + k <= seq.length; i++) {
      const a = [...seq.slice(i, i + k)].filter((c) => c === "A").length;
      expect(a).toBeLessThanOrEqual(Math.ceil((5 / 10) * k) + 1);
    }
  });

  test("a down server's slots go to the others, in the same smooth order", () => {
    const list = servers([5, 1, 1]);
    const sched = createScheduler("swrr", list, {}, testEnv());
    list[1]!.up = false;
    sched.update();
    let out = "";
    for (let i = 0; i < 12; i++) out += String.fromCharCode(65 + Number(sched.pick(ctx())!.id.slice(1)));
    expect([...out].filter((c) => c === "B").length).toBe(0);
    expect([...out].filter((c) => c === "C").length).toBe(2);
    expect(out.indexOf("C")).toBeGreaterThan(0);
    expect(out.lastIndexOf("C") - out.indexOf("C")).toBe(6);
  });
});
