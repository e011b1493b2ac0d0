// Picks per second of every scheduler on a 100-server pool (weights 1-10, varied active counts),
// plus the persistence wrappers. Run: `npx bun bench/sched.ts`. Figures are for comparing schedulers
// on one machine in one run, not absolute.

import { createPoolScheduling, schedulerNames } from "../core/sched/registry.ts";
import type { PickContext, SchedServer } from "../core/sched/types.ts";

const N = 100;
const RUN_MS = Number(process.env["BENCH_MS"] ?? 200);

function rand32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pool(): SchedServer[] {
  const r = rand32(1);
  return Array.from({ length: N }, (_, i) => {
    const weight = 1 + Math.floor(r() * 10);
    return {
      id: `srv-${i}`,
      up: true,
      weight,
      backup: false,
      maxConnections: 0,
      active: Math.floor(r() * weight * 2),
      inflight: Math.floor(r() * 4),
    };
  });
}

/** 4096 requests from 4096 clients over 512 URLs (repeats, so locality tables hit). */
function contexts(): PickContext[] {
  const r = rand32(2);
  return Array.from({ length: 4096 }, (_, i) => {
    const uri = `/static/${Math.floor(r() * 512)}.js?v=${i & 7}`;
    const headers: Record<string, string> = { "x-user": `u${i & 1023}` };
    return {
      sourceIp: `10.${(i >> 8) & 255}.${i & 255}.${Math.floor(r() * 4)}`,
      sourcePort: 1024 + i,
      http: {
        method: "GET",
        host: "bench.test",
        uri,
        header: (n: string) => headers[n],
        cookie: () => undefined,
      },
    };
  });
}

interface Row {
  name: string;
  picksPerSec: number;
}

function measure(name: string, scheduler: string, options: Record<string, unknown>, persistence = 0): Row {
  const servers = pool();
  let t = 0;
  const env = { now: () => t, random: rand32(3) };
  const { scheduler: s } = createPoolScheduling(
    { scheduler, scheduler_options: options, persistence_timeout: persistence, persistence_granularity: "" },
    servers,
    env,
  );
  const ctxs = contexts();
  const mask = ctxs.length - 1;
  let sink = 0;
  // Warm up (JIT, and fill persistence/locality tables so the run measures the steady state).
  for (let i = 0; i < 50000; i++) if (s.pick(ctxs[i & mask]!)) sink++;
  let picks = 0;
  const start = performance.now();
  let now = start;
  while (now - start < RUN_MS) {
    for (let i = 0; i < 20000; i++) if (s.pick(ctxs[(picks + i) & mask]!)) sink++;
    picks += 20000;
    t += 1;
    now = performance.now();
  }
  if (sink < 0) console.log(sink);
  return {
    name,
    picksPerSec: (picks / (now - start)) * 1000,
  };
}

const rows: Row[] = [];
for (const name of schedulerNames) rows.push(measure(name, name, {}));
rows.push(measure("mh key=uri", "mh", { key: "uri" }));
rows.push(measure("mh key=header:x-user", "mh", { key: "header:x-user" }));
rows.push(measure("wlc + persistence", "wlc", {}, 300000));
rows.push(measure("rr + cookie", "rr", { cookie: "SRV" }));

console.log(`| scheduler (${N} servers) | picks/s |`);
console.log("|---|---:|");
for (const r of rows) {
  console.log(`| ${r.name} | ${Math.round(r.picksPerSec).toLocaleString("en-US")} |`);
}
