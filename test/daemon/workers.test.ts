// `[global] workers = 2` against real listeners: two data-path Worker threads share each port and
// schedule as one load balancer (shared counts, rr position, persistence table); the control plane's
// decisions reach both; reload, a dead worker and stop are handled for all of them.

import { afterEach, expect, test } from "bun:test";
import { parseConfig } from "../../core/config/load.ts";
import type { Daemon } from "../../core/daemon/Daemon.ts";
import { serveDaemon } from "../../core/daemon/serve-role.ts";
import type { WorkerPool } from "../../core/daemon/worker-pool.ts";
import { memoryLogger } from "../../core/log/logger.ts";
import { type Backend, backend, configText, freePort, tempDir, waitFor } from "./harness.ts";

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Setup {
  d: Daemon;
  pool: WorkerPool;
  port: number;
  backends: Backend[];
  lines: string[];
  control: string;
  setText(t: string): void;
}

async function serveWorkers(
  o: { backends?: number; delayMs?: number; pool?: string; vsExtra?: string } = {},
): Promise<Setup> {
  const tmp = tempDir();
  cleanups.push(tmp.cleanup);
  const backends = Array.from({ length: o.backends ?? 2 }, (_, i) => backend(`b${i + 1}`, o.delayMs ?? 300));
  for (const b of backends) cleanups.push(() => b.stop());
  const port = freePort();
  const control = `${tmp.dir}/c.sock`;
  const base = configText({
    port,
    control: `unix:${control}`,
    backends,
    checkInterval: "5s",
    vsExtra: o.vsExtra,
  });
  let text = o.pool ? base.replace('scheduler = "rr"', o.pool) : base;
  const { logger, lines } = memoryLogger("info");
  const d = serveDaemon({
    file: "test.toml",
    config: parseConfig(text, "test.toml"),
    hash: "h",
    log: logger,
    version: "test",
    workers: 2,
    reloadSource: () => ({ config: parseConfig(text, "test.toml"), hash: "h2" }),
  });
  await d.start();
  cleanups.push(() => d.stop(0));
  const pool = d.service<WorkerPool>("switch")!;
  return { d, pool, port, backends, lines, control, setText: (t) => (text = t) };
}

/** One request on its own connection. */
async function once(port: number, path = "/"): Promise<{ status: number; body: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { connection: "close" } });
  return { status: r.status, body: await r.text() };
}

test("workers = 2: both workers accept connections on the one port", async () => {
  const s = await serveWorkers();
  expect(s.pool.size).toBe(2);
  for (let i = 0; i < 60; i++) expect((await once(s.port)).status).toBe(200);
  const w = s.pool.workers();
  expect(w.map((x) => x.id)).toEqual([0, 1]);
  // The kernel hashes each new connection's 4-tuple to one of the two sockets: 60 land on both.
  expect(w[0]!.requests).toBeGreaterThan(0);
  expect(w[1]!.requests).toBeGreaterThan(0);
  expect(w[0]!.requests + w[1]!.requests).toBe(60);
  // Status adds up over workers: the main thread's server counters are the sums.
  const servers = s.d.cluster.pools.get("app")!.servers;
  expect(servers.reduce((n, x) => n + x.requests, 0)).toBe(60);
  // rr is one sequence across workers: 60 requests split 30/30 whatever worker took each.
  expect(s.backends.map((b) => b.hits)).toEqual([30, 30]);
}, 30_000);
