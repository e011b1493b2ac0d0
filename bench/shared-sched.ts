// What sharing costs per scheduling decision (issue 17): pick + active++ + active-- with plain
// ServerState objects (workers = 1) against the shared ones a data-path worker uses (atomics on a
// SharedArrayBuffer, the pool lock for rr, the shared persistence table), first alone, then with a
// second thread doing the same on the same counters at the same time (contended cache lines).
// Usage: bun bench/shared-sched.ts [picks=1000000]

import { createPoolScheduling, type PoolSchedulingConfig } from "../core/sched/registry.ts";
import { SharedCounts, type SharedLayout, serverKey } from "../core/sched/shared-counts.ts";
import { persistenceBuffer } from "../core/sched/shared-persistence.ts";
import { sharedParts } from "../core/sched/shared-sched.ts";
import { ServerState } from "../core/state/cluster.ts";
import { bindWorkerServer } from "../core/state/shared-server.ts";

declare const self: Worker;
const picks = Number(process.argv[2] ?? 1_000_000);
const CASES: Array<[string, Partial<PoolSchedulingConfig>]> = [
  ["rr", { scheduler: "rr" }],
  ["wlc", { scheduler: "wlc" }],
  ["rr + persistence", { scheduler: "rr", persistence_timeout: 60_000 }],
];

function run(c: SharedCounts | undefined, w: number, cfg: Partial<PoolSchedulingConfig>, n: number): number {
  const servers = Array.from(
    { length: 8 },
    (_, i) => new ServerState("p", `s${i}`, `10.0.0.${i}:80`, 1 + (i % 3)),
  );
  if (c) for (const s of servers) bindWorkerServer(c, w, s, c.layout.servers[serverKey("p", s.id)]!);
  const full = {
    scheduler: "rr",
    scheduler_options: {},
    persistence_timeout: 0,
    persistence_granularity: "",
    ...cfg,
  };
  const sched = createPoolScheduling(full, servers, undefined, c ? sharedParts(c, "p") : {}).scheduler;
  const ips = Array.from({ length: 256 }, (_, i) => ({ sourceIp: `192.0.2.${i}`, sourcePort: 1 }));
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const s = sched.pick(ips[i & 255]!) as ServerState;
    s.active++;
    s.active--;
  }
  return ((performance.now() - t0) * 1e6) / n;
}

function layout(): SharedCounts {
  const c = SharedCounts.create({ maxServers: 64, maxVs: 4, maxPools: 4, maxWorkers: 2 });
  c.assign("pools", "p");
  for (let i = 0; i < 8; i++) c.assign("servers", serverKey("p", `s${i}`));
  c.layout.persistence.p = persistenceBuffer(4096);
  return c;
}

if (Bun.isMainThread) {
  console.log(
    `ns per decision (pick + active++ + active--), ${picks} picks, 8 servers; shared 2-core machine\n`,
  );
  console.log("| scheduler | plain (workers = 1) | shared, alone | shared, 2 threads at once |");
  console.log("|---|---|---|---|");
  for (const [name, cfg] of CASES) {
    run(undefined, 0, cfg, picks / 10); // warm-up
    const plain = run(undefined, 0, cfg, picks);
    const c = layout();
    run(c, 0, cfg, picks / 10);
    const alone = run(c, 0, cfg, picks);
    const other = new Worker(new URL(import.meta.url));
    const theirs = new Promise<number>((resolve) => {
      other.onmessage = (e: MessageEvent<number>) => resolve(e.data);
    });
    other.postMessage({ layout: c.layout, cfg });
    const mine = run(c, 0, cfg, picks);
    const both = (mine + (await theirs)) / 2;
    other.terminate();
    console.log(`| ${name} | ${plain.toFixed(0)} | ${alone.toFixed(0)} | ${both.toFixed(0)} |`);
  }
} else {
  self.onmessage = (e: MessageEvent<{ layout: SharedLayout; cfg: Partial<PoolSchedulingConfig> }>) => {
    const c = new SharedCounts(e.data.layout);
    self.postMessage(run(c, 1, e.data.cfg, picks));
  };
}
