// Two data-path workers simulated in one thread: each has its own ServerState objects and schedulers,
// bound to one SharedCounts as workers 0 and 1 are. Picks interleave between them, as the kernel's
// SO_REUSEPORT spread interleaves connections, and the outcome must be that of one load balancer.

import { expect, test } from "bun:test";
import { createPoolScheduling, type PoolSchedulingConfig } from "../../core/sched/registry.ts";
import { SharedCounts, serverKey } from "../../core/sched/shared-counts.ts";
import { lblcrWidth } from "../../core/sched/shared-lblcr.ts";
import { persistenceBuffer } from "../../core/sched/shared-persistence.ts";
import { sharedParts } from "../../core/sched/shared-sched.ts";
import type { Scheduler } from "../../core/sched/types.ts";
import { ServerState } from "../../core/state/cluster.ts";
import { bindTotalsServer, bindWorkerServer, reservation } from "../../core/state/shared-server.ts";
import { testEnv } from "./helpers.ts";

interface Spec {
  id: string;
  weight?: number;
  max?: number;
}

function layout(specs: Spec[], persistence = false, locality = false): SharedCounts {
  const c = SharedCounts.create({ maxServers: 64, maxVs: 4, maxPools: 4, maxWorkers: 2 });
  c.assign("pools", "p");
  c.assign("vs", "web");
  for (const s of specs) c.assign("servers", serverKey("p", s.id));
  if (persistence) c.layout.persistence.p = persistenceBuffer(1024);
  if (locality) {
    c.layout.locality["p:lblc"] = persistenceBuffer(1024);
    c.layout.locality["p:lblcr"] = persistenceBuffer(1024, lblcrWidth(specs.length));
  }
  return c;
}

function worker(c: SharedCounts, w: number, specs: Spec[], cfg: Partial<PoolSchedulingConfig>) {
  const servers = specs.map(
    (s) => new ServerState("p", s.id, `10.0.0.1:${s.id}`, s.weight ?? 1, { maxConnections: s.max ?? 0 }),
  );
  for (const s of servers) bindWorkerServer(c, w, s, c.layout.servers[serverKey("p", s.id)]!);
  const full: PoolSchedulingConfig = {
    scheduler: "rr",
    scheduler_options: {},
    persistence_timeout: 0,
    persistence_granularity: "",
    ...cfg,
  };
  const sched: Scheduler = createPoolScheduling(full, servers, testEnv(1), sharedParts(c, "p")).scheduler;
  const byId = new Map(servers.map((s) => [s.id, s]));
  return { servers, sched, byId };
}

const ctx = (ip = "192.0.2.1") => ({ sourceIp: ip, sourcePort: 1 });

/** A request to example.org `uri` from one client: what lblc and lblcr key on (host and path). */
const httpCtx = (uri: string) => ({
  ...ctx(),
  http: { method: "GET", host: "example.org", uri, header: () => undefined, cookie: () => undefined },
});

test("rr: picks alternating between two workers follow one sequence", () => {
  const specs = [{ id: "a" }, { id: "b" }, { id: "c" }];
  const c = layout(specs);
  const [w0, w1] = [worker(c, 0, specs, {}), worker(c, 1, specs, {})];
  const seq = Array.from({ length: 9 }, (_, i) => (i % 2 ? w1 : w0).sched.pick(ctx())!.id);
  expect(seq.join("")).toBe("abcabcabc");
});

test("wrr: two workers together give the IPVS sequence of one", () => {
  const specs = [
    { id: "a", weight: 4 },
    { id: "b", weight: 3 },
    { id: "c", weight: 2 },
  ];
  const c = layout(specs);
  const [w0, w1] = [worker(c, 0, specs, { scheduler: "wrr" }), worker(c, 1, specs, { scheduler: "wrr" })];
  const seq = Array.from({ length: 18 }, (_, i) => (i % 3 ? w1 : w0).sched.pick(ctx())!.id);
  expect(seq.join("")).toBe("aababcabc".repeat(2));
});

test("lc: a connection counted by one worker steers the other's pick", () => {
  const specs = [{ id: "a" }, { id: "b" }];
  const c = layout(specs);
  const [w0, w1] = [worker(c, 0, specs, { scheduler: "lc" }), worker(c, 1, specs, { scheduler: "lc" })];
  const first = w0.sched.pick(ctx())!;
  (first as ServerState).active++;
  const second = w1.sched.pick(ctx())!;
  expect(second.id).not.toBe(first.id);
  expect(w1.byId.get(first.id)!.active).toBe(1);
});

test("max_connections: a pick reserves the place before the switch counts it, across workers", () => {
  const specs = [
    { id: "a", max: 1 },
    { id: "b", max: 1 },
  ];
  const c = layout(specs);
  const [w0, w1] = [worker(c, 0, specs, { scheduler: "lc" }), worker(c, 1, specs, { scheduler: "lc" })];
  // Worker 0 picks; before its `active++` runs, worker 1 picks too (threads really interleave here).
  const a = w0.sched.pick(ctx())! as ServerState;
  const pending = reservation.slot;
  reservation.slot = -1; // worker 1 is another thread: it has its own (empty) reservation
  const b = w1.sched.pick(ctx())! as ServerState;
  expect(b.id).not.toBe(a.id);
  b.active++;
  reservation.slot = pending;
  a.active++; // worker 0's switch counts its pick: claims the reservation, no double count
  expect(w0.byId.get("a")!.active + w0.byId.get("b")!.active).toBe(2);
  expect(w0.sched.pick(ctx())).toBeUndefined();
  expect(w1.sched.pick(ctx())).toBeUndefined();
  a.active--;
  expect(w1.sched.pick(ctx())!.id).toBe(a.id);
});

test("source persistence: a client placed by one worker is found by the other", () => {
  const specs = [{ id: "a" }, { id: "b" }, { id: "c" }];
  const c = layout(specs, true);
  const cfg = { persistence_timeout: 60_000 };
  const [w0, w1] = [worker(c, 0, specs, cfg), worker(c, 1, specs, cfg)];
  const first = w0.sched.pick(ctx("198.51.100.7"))!.id;
  for (let i = 0; i < 20; i++) expect((i % 2 ? w0 : w1).sched.pick(ctx("198.51.100.7"))!.id).toBe(first);
  // Other clients still spread (one rr sequence underneath).
  const others = new Set(Array.from({ length: 6 }, (_, i) => w1.sched.pick(ctx(`203.0.113.${i}`))!.id));
  expect(others.size).toBe(3);
  // A persisted server that goes down is replaced, for both workers.
  for (const w of [w0, w1]) {
    w.byId.get(first)!.healthy = false;
    w.byId.get(first)!.recompute();
    w.sched.update();
  }
  const moved = w1.sched.pick(ctx("198.51.100.7"))!.id;
  expect(moved).not.toBe(first);
  expect(w0.sched.pick(ctx("198.51.100.7"))!.id).toBe(moved);
});

test("a dead worker's share of the counts is taken back; totals add up on the main thread", () => {
  const specs = [{ id: "a" }];
  const c = layout(specs);
  const [w0, w1] = [worker(c, 0, specs, {}), worker(c, 1, specs, {})];
  const main = new ServerState("p", "a", "x", 1);
  bindTotalsServer(c, main, 0);
  for (let i = 0; i < 3; i++) {
    w0.servers[0]!.active++;
    w0.servers[0]!.requests++;
  }
  w1.servers[0]!.active++;
  w1.servers[0]!.requests += 2;
  expect(main.active).toBe(4);
  expect(main.requests).toBe(5);
  c.forget(0);
  expect(main.active).toBe(1);
  expect(w1.servers[0]!.active).toBe(1);
  expect(main.requests).toBe(5); // history stays
  expect(c.workerTotals(1).requests).toBe(2);
});

test("virtual server max_connections is one limit over workers", () => {
  const c = layout([]);
  const v = c.layout.vs.web!;
  expect(c.acquireVs(0, v, 3)).toBe(true);
  expect(c.acquireVs(1, v, 3)).toBe(true);
  expect(c.acquireVs(1, v, 3)).toBe(true);
  expect(c.acquireVs(0, v, 3)).toBe(false);
  c.releaseVs(1, v);
  expect(c.acquireVs(0, v, 3)).toBe(true);
  expect(c.workerTotals(0).connections).toBe(2);
  expect(c.workerTotals(1).connections).toBe(1);
  c.forget(1);
  expect(Atomics.load(c.vsConns, v)).toBe(2);
});

test("lblc: a key placed by one worker is found by the other, and moves when its server goes down", () => {
  const specs = [
    { id: "a", weight: 10 },
    { id: "b", weight: 10 },
    { id: "c", weight: 10 },
  ];
  const c = layout(specs, false, true);
  const [w0, w1] = [worker(c, 0, specs, { scheduler: "lblc" }), worker(c, 1, specs, { scheduler: "lblc" })];
  const req = httpCtx;
  const placed = new Map<string, string>();
  for (let i = 0; i < 6; i++) {
    // Each key is placed by worker 0 with a connection open there, so the least-loaded choice moves on.
    const s = w0.sched.pick(req(`/k${i}`))! as ServerState;
    s.active++;
    placed.set(`/k${i}`, s.id);
  }
  expect(new Set(placed.values()).size).toBe(3);
  for (const [uri, id] of placed) expect(w1.sched.pick(req(uri))!.id).toBe(id);
  const first = placed.get("/k0")!;
  for (const w of [w0, w1]) {
    w.byId.get(first)!.healthy = false;
    w.byId.get(first)!.recompute();
    w.sched.update();
  }
  const moved = w1.sched.pick(req("/k0"))!.id;
  expect(moved).not.toBe(first);
  expect(w0.sched.pick(req("/k0"))!.id).toBe(moved);
});

test("lblcr: a key's server set is one set for both workers, grown when its member is overloaded", () => {
  const specs = [
    { id: "a", weight: 2 },
    { id: "b", weight: 2 },
    { id: "c", weight: 2 },
  ];
  const c = layout(specs, false, true);
  const [w0, w1] = [worker(c, 0, specs, { scheduler: "lblcr" }), worker(c, 1, specs, { scheduler: "lblcr" })];
  const req = httpCtx("/hot");
  const first = w0.sched.pick(req)! as ServerState;
  expect(w1.sched.pick(req)!.id).toBe(first.id);
  // Overload the member (active > weight while others are idle): the key's set grows, for both.
  for (let i = 0; i < 3; i++) first.active++;
  const second = w1.sched.pick(req)!;
  expect(second.id).not.toBe(first.id);
  (second as ServerState).active++;
  // Worker 0 now sees a set of two: it goes to the less loaded member, the one worker 1 added.
  expect(w0.sched.pick(req)!.id).toBe(second.id);
});

for (const [n, idle] of [
  [40, 38],
  [64, 31],
  [64, 63],
] as const) {
  test(`lblcr: a pool of ${n} servers keeps one set for both workers, with s${idle} (bit ${idle % 32} of word ${idle >> 5})`, () => {
    const specs = Array.from({ length: n }, (_, i) => ({ id: `s${i}` }));
    const c = layout(specs, false, true);
    const [w0, w1] = [
      worker(c, 0, specs, { scheduler: "lblcr" }),
      worker(c, 1, specs, { scheduler: "lblcr" }),
    ];
    const req = httpCtx("/big");
    // Every server but one busy: the key's first member is that one.
    const others = w0.servers.filter((s) => s.id !== `s${idle}`);
    for (const s of others) s.active++;
    const first = w0.sched.pick(req)! as ServerState;
    expect(first.id).toBe(`s${idle}`);
    first.active++;
    for (const s of others) s.active--;
    // Now the others are idler, but the set is shared: worker 1 keeps the key on its member.
    expect(w1.sched.pick(req)!.id).toBe(first.id);
    // Overloaded (active > weight while others idle): the set grows, and worker 0 sees the new member.
    first.active++;
    const second = w1.sched.pick(req)! as ServerState;
    expect(second.id).not.toBe(first.id);
    second.active++;
    expect(w0.sched.pick(req)!.id).toBe(second.id);
    first.active -= 2;
    second.active--;
  });
}
