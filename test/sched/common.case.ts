// The conformance suite every scheduler runs (see conformance.test.ts). It only uses the registry, so a
// new scheduler gets the same checks by adding its traits there.

import { describe, expect, test } from "bun:test";
import { createPoolScheduling, createScheduler, type SchedulingParts } from "../../core/sched/registry.ts";
import { SharedCounts, serverKey } from "../../core/sched/shared-counts.ts";
import { lblcrWidth } from "../../core/sched/shared-lblcr.ts";
import { persistenceBuffer } from "../../core/sched/shared-persistence.ts";
import { sharedParts } from "../../core/sched/shared-sched.ts";
import type { ServerState } from "../../core/state/cluster.ts";
import { bindWorkerServer } from "../../core/state/shared-server.ts";
import type { PickContext, SchedServer, Scheduler } from "../../core/sched/types.ts";
import { prng, randomCtx, servers, shares, testEnv } from "./helpers.ts";

export interface Traits {
  /**
   * How picks spread over weights 5/3/2/1/1: "static" with no load (each pick's connection closes
   * at once), "load" with 600 connections open, a random one closing after each pick. `expect` says whether shares follow
   * the weights or are equal; `tolerance` is the largest relative error allowed per server.
   */
  distribution: { mode: "static" | "load"; expect: "weights" | "equal"; tolerance: number } | null;
  options?: Record<string, unknown>;
  /** Run wrapped in source-address persistence (expire_quiescent on, so weight 0 takes no one). */
  persistence?: boolean;
  /** Run as a data-path worker does: counts, rr/wrr position and tables in shared memory. */
  shared?: boolean;
}

const WEIGHTS = [5, 3, 2, 1, 1];

function eligible(s: SchedServer, list: readonly SchedServer[]): boolean {
  const primaryUp = list.some((x) => !x.backup && x.up);
  return (
    s.up && s.weight > 0 && (s.maxConnections === 0 || s.active < s.maxConnections) && s.backup !== primaryUp
  );
}

function make(name: string, list: SchedServer[], traits: Traits, seed = 7): Scheduler {
  const parts = traits.shared ? sharedFor(list) : {};
  if (!traits.persistence && !traits.shared)
    return createScheduler(name, list, traits.options ?? {}, testEnv(seed));
  return createPoolScheduling(
    {
      scheduler: name,
      scheduler_options: { ...traits.options, expire_quiescent: true },
      persistence_timeout: traits.persistence ? 60000 : 0,
      persistence_granularity: "",
    },
    list,
    testEnv(seed),
    parts,
  ).scheduler;
}

/**
 * The parts a data-path worker uses (worker 0 of a layout of its own), over `list` bound to shared
 * counts. Without the max_connections reservation: it counts a pick before the switch does, which this
 * suite (picking without counting) does not model; test/sched/shared-sched.test.ts covers it.
 */
function sharedFor(list: SchedServer[]): SchedulingParts {
  const c = SharedCounts.create({ maxServers: 64, maxVs: 1, maxPools: 1, maxWorkers: 1 });
  c.assign("pools", "p");
  c.layout.persistence.p = persistenceBuffer(65536);
  c.layout.locality["p:lblc"] = persistenceBuffer(65536);
  c.layout.locality["p:lblcr"] = persistenceBuffer(65536, lblcrWidth(64));
  for (const s of list) bindWorkerServer(c, 0, s as ServerState, c.assign("servers", serverKey("p", s.id)));
  const { outer: _, ...parts } = sharedParts(c, "p");
  return parts;
}

function contexts(n: number, seed = 3): PickContext[] {
  const rand = prng(seed);
  return Array.from({ length: n }, () => randomCtx(rand));
}

/** Pick once per context; with `load`, keep 600 connections open, closing a random one per pick. */
function run(sched: Scheduler, ctxs: PickContext[], load: boolean): Map<SchedServer | undefined, number> {
  const counts = new Map<SchedServer | undefined, number>();
  const open: SchedServer[] = [];
  const rand = prng(99);
  for (const c of ctxs) {
    const s = sched.pick(c);
    counts.set(s, (counts.get(s) ?? 0) + 1);
    if (!load || !s) continue;
    s.active++;
    s.inflight++;
    open.push(s);
    if (open.length > 600) {
      const k = Math.floor(rand() * open.length);
      const o = open[k]!;
      open[k] = open[open.length - 1]!;
      open.pop();
      o.active--;
      o.inflight--;
    }
  }
  return counts;
}

export function runSchedulerConformance(name: string, traits: Traits): void {
  const what = `${traits.persistence ? " + persistence" : ""}${traits.shared ? ", shared (workers)" : ""}`;
  describe(`scheduler ${name}${what} (conformance)`, () => {
    test("picks only up servers, and one whenever any is eligible", () => {
      const list = servers(WEIGHTS);
      const sched = make(name, list, traits);
      const rand = prng(11);
      const ctxs = contexts(50);
      for (let round = 0; round < 40; round++) {
        for (const s of list) s.up = rand() < 0.6;
        sched.update();
        const any = list.some((s) => eligible(s, list));
        for (const c of ctxs) {
          const s = sched.pick(c);
          if (any) {
            expect(s).toBeDefined();
            expect(eligible(s!, list)).toBe(true);
          } else expect(s).toBeUndefined();
        }
      }
    });

    test("never picks a quiescent (weight 0) server for new clients", () => {
      const list = servers(WEIGHTS);
      const sched = make(name, list, traits);
      list[0]!.weight = 0;
      list[2]!.weight = 0;
      sched.update();
      for (const c of contexts(2000)) {
        const s = sched.pick(c);
        expect(s).toBeDefined();
        expect(s!.weight).toBeGreaterThan(0);
      }
      for (const s of list) s.weight = 0;
      sched.update();
      expect(sched.pick(contexts(1)[0]!)).toBeUndefined();
    });

    test("backups serve only while every primary is down", () => {
      const list = servers(WEIGHTS);
      const backups = servers([2, 1], "b");
      for (const b of backups) b.backup = true;
      list.push(...backups);
      const sched = make(name, list, traits);
      const ctxs = contexts(500);
      for (const c of ctxs) expect(sched.pick(c)!.backup).toBe(false);
      for (const s of list) if (!s.backup) s.up = false;
      sched.update();
      for (const c of ctxs) expect(sched.pick(c)!.backup).toBe(true);
      list[3]!.up = true;
      sched.update();
      for (const c of ctxs) expect(sched.pick(c)).toBe(list[3]!);
      // A primary that is up but quiescent still keeps the backups out.
      list[3]!.weight = 0;
      sched.update();
      for (const c of ctxs.slice(0, 50)) expect(sched.pick(c)).toBeUndefined();
    });

    test("skips a server at its maxConnections", () => {
      const list = servers(WEIGHTS);
      const sched = make(name, list, traits);
      for (const s of list) s.maxConnections = 3;
      list[0]!.active = 3;
      list[1]!.active = 5;
      list[2]!.active = 2;
      sched.update();
      for (const c of contexts(3000)) {
        const s = sched.pick(c);
        expect(s).toBeDefined();
        expect(s!.active).toBeLessThan(3);
      }
      for (const s of list) s.active = 3;
      expect(sched.pick(contexts(1)[0]!)).toBeUndefined();
    });

    test("no servers, or all down: picks nothing", () => {
      const empty: SchedServer[] = [];
      expect(make(name, empty, traits).pick(contexts(1)[0]!)).toBeUndefined();
      const list = servers(WEIGHTS);
      for (const s of list) s.up = false;
      expect(make(name, list, traits).pick(contexts(1)[0]!)).toBeUndefined();
    });

    test("is deterministic for the same servers, env and requests", () => {
      const a = servers(WEIGHTS);
      const b = servers(WEIGHTS);
      const ctxs = contexts(3000);
      const ra = [...run(make(name, a, traits, 5), ctxs, true).entries()].map(([s, n]) => `${s?.id}:${n}`);
      const rb = [...run(make(name, b, traits, 5), ctxs, true).entries()].map(([s, n]) => `${s?.id}:${n}`);
      expect(ra.sort()).toEqual(rb.sort());
    });

    test("a server added to the list is used after update()", () => {
      const list = servers([1, 1]);
      const sched = make(name, list, traits);
      list[0]!.up = false;
      list[1]!.up = false;
      list.push({ ...servers([1], "new")[0]! });
      sched.update();
      expect(sched.pick(contexts(1)[0]!)?.id).toBe("new0");
    });

    const dist = traits.distribution;
    if (dist) {
      const check = (
        list: SchedServer[],
        weights: number[],
        counts: Map<SchedServer | undefined, number>,
      ) => {
        expect(counts.get(undefined)).toBeUndefined();
        const got = shares(list, counts);
        const sum = weights.reduce((x, y) => x + y, 0);
        const positive = weights.filter((w) => w > 0).length;
        weights.forEach((w, i) => {
          const want = w === 0 ? 0 : dist.expect === "weights" ? w / sum : 1 / positive;
          expect(Math.abs(got[i]! - want)).toBeLessThanOrEqual(want * dist.tolerance + 1e-9);
        });
      };

      test(`spreads picks by ${dist.expect} within ${dist.tolerance * 100}% (${dist.mode})`, () => {
        const list = servers(WEIGHTS);
        check(list, WEIGHTS, run(make(name, list, traits), contexts(24000), dist.mode === "load"));
      });

      test("follows a weight change at run time", () => {
        const list = servers(WEIGHTS);
        const sched = make(name, list, traits);
        run(sched, contexts(1000, 9), false);
        const next = [1, 1, 2, 3, 5];
        next.forEach((w, i) => {
          list[i]!.weight = w;
        });
        sched.update();
        check(list, next, run(sched, contexts(24000, 4), dist.mode === "load"));
      });
    }
  });
}
