// `[global] workers = 2` against real listeners: two data-path Worker threads share each port and
// schedule as one load balancer (shared counts, rr position, persistence table); the control plane's
// decisions reach both; reload, a dead worker and stop are handled for all of them.

import { afterEach, expect, test } from "bun:test";
import type { Socket } from "bun";
import { readFileSync, rmSync } from "node:fs";
import type { Daemon } from "../../core/daemon/daemon.ts";
import type { WorkerPool } from "../../core/daemon/worker-pool.ts";
import type { MetricsRegistry } from "../../core/metrics/metrics-registry.ts";
import {
  BUN,
  MAIN,
  type Backend,
  backend,
  configText,
  freePort,
  killIfRunning,
  runTcpvs,
  serveInProcess,
  spawnLines,
  statusJson,
  steadyLoad,
  tempDir,
  threadNice,
  waitFor,
  waitLine,
  writeConfig,
} from "./harness.ts";
import { CertDir } from "../tls/certs.ts";
import { sClient } from "../tls/s-client.ts";
import { lblcrWidth, tableWidth } from "../../core/sched/shared-lblcr.ts";
import { missingTools } from "../tools.ts";

const NO_TASKSET = missingTools("the config check test of workers = auto", "taskset");

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
  getText(): string;
}

interface SetupOptions {
  /** Lines added to the [[virtual_server]] (a [virtual_server.tls] table). */
  vsExtra?: string;
  backends?: Backend[];
  /** Replaces the pool's `scheduler = "rr"` line. */
  pool?: string;
  /** Lines added to every [[pool.app.server]]. */
  serverExtra?: string;
  grace?: string;
  /** Lines added to [global]. */
  global?: string;
}

async function serveWorkers(o: SetupOptions = {}): Promise<Setup> {
  const tmp = tempDir();
  cleanups.push(tmp.cleanup);
  const backends = o.backends ?? [backend("b1", 300), backend("b2", 300)];
  for (const b of backends) cleanups.push(() => b.stop());
  const port = freePort();
  const control = `${tmp.dir}/c.sock`;
  let text = configText({
    vsExtra: o.vsExtra,
    port,
    control: `unix:${control}`,
    backends,
    checkInterval: "5s",
    grace: o.grace,
  });
  if (o.pool) text = text.replace('scheduler = "rr"', o.pool);
  if (o.global) text = text.replace("[global]\n", `[global]\n${o.global}\n`);
  if (o.serverExtra) text = text.replace(/(address = "[^"]+"\n)/g, `$1  ${o.serverExtra}\n`);
  const { d, pool, lines } = await serveInProcess(() => text);
  cleanups.push(() => d.stop(0));
  return { d, pool, port, backends, lines, control, setText: (t) => (text = t), getText: () => text };
}

/** A CA and a leaf for a.test and 127.0.0.1 in a directory removed after the test. */
function certificate(): { ca: string; pem: string; dir: string } {
  const certs = new CertDir();
  cleanups.push(() => rmSync(certs.dir, { recursive: true, force: true }));
  const ca = certs.ca("ca").pem;
  return { ca, pem: certs.leaf("a", ["a.test", "IP:127.0.0.1"], "ca"), dir: certs.dir };
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
  // Each worker found its own listening socket to pause at a limit (not the other's, not none).
  expect(s.lines.filter((l) => l.includes("Cannot pause accepting"))).toEqual([]);
  // Status adds up over workers: the main thread's server counters are the sums.
  const servers = s.d.cluster.pools.get("app")!.servers;
  expect(servers.reduce((n, x) => n + x.requests, 0)).toBe(60);
  // rr is one sequence across workers: 60 requests split 30/30 whatever worker took each.
  expect(s.backends.map((b) => b.hits)).toEqual([30, 30]);
  // Responses and latencies counted in the workers reach the one registry (a scrape flushes first).
  const metrics = (s.pool as unknown as { metrics: MetricsRegistry }).metrics;
  await metrics.sync();
  const text = metrics.render();
  expect(text).toContain('tcpvs_http_responses_total{virtual_server="web",pool="app",code="2xx"} 60\n');
  expect(text).toContain('tcpvs_pool_response_time_seconds_count{pool="app"} 60\n');
}, 30_000);

test("workers = 2: the servers' 5xx responses are summed over workers in status", async () => {
  const s = await serveWorkers();
  for (let i = 0; i < 30; i++) expect((await once(s.port, "/unavailable")).status).toBe(503);
  const st = await statusJson(s.control);
  const servers = st.pools[0]!.servers;
  expect(servers.reduce((n, x) => n + x.responses_5xx_total, 0)).toBe(30);
  expect(servers.map((x) => x.responses_5xx_total)).toEqual([15, 15]);
  // The virtual server's totals (status --watch's rates) are the workers' too, not the main thread's 0.
  const vs = (
    st as unknown as { virtual_servers: Array<{ requests_total: number; responses_5xx_total: number }> }
  ).virtual_servers[0]!;
  expect([vs.requests_total, vs.responses_5xx_total]).toEqual([30, 30]);
  // Both workers took some of the 30: the sum is over shares, not one worker's.
  expect(s.pool.workers().every((w) => w.requests > 0)).toBe(true);
}, 30_000);

test("workers = 2: a sorry server's requests are summed over workers in status", async () => {
  const sorry = backend("sorry");
  cleanups.push(() => sorry.stop());
  // A quorum no weight can reach: the pool is below it from the first checks on.
  const s = await serveWorkers({
    pool: `scheduler = "rr"\nquorum = 1000\nsorry_server = "${sorry.address}"`,
  });
  await waitFor(async () => (await statusJson(s.control)).pools[0]!.quorum_up === false, 5000, "quorum lost");
  for (let i = 0; i < 40; i++) expect(await once(s.port)).toEqual({ status: 200, body: "sorry\n" });
  expect(sorry.hits).toBe(40);
  // Both workers answered some of the 40 (their totals count the sorry server's slot too).
  const w = s.pool.workers();
  expect(w.every((x) => x.requests > 0)).toBe(true);
  expect(w[0]!.requests + w[1]!.requests).toBe(40);
  const st = await statusJson(s.control);
  const p = st.pools[0]!;
  expect(p.sorry_server).toMatchObject({
    address: sorry.address,
    requests_total: 40,
    errors_total: 0,
    active_connections: 0,
  });
  // Each worker keeps its own keep-alive connections to it: at least one each, summed.
  expect(p.sorry_server!.connections_total).toBeGreaterThanOrEqual(2);
  expect(p.servers.reduce((n, x) => n + x.requests_total, 0)).toBe(0);
  const metrics = (s.pool as unknown as { metrics: MetricsRegistry }).metrics;
  await metrics.sync();
  expect(metrics.render()).toContain('tcpvs_sorry_server_requests_total{pool="app"} 40\n');
}, 30_000);

test("workers = 2, control plane not raised (no runDaemon here): the data-path threads yield at nice 5", async () => {
  await serveWorkers();
  const nice = threadNice();
  // Each worker's thread, and any helper thread it starts afterwards (they inherit its nice value).
  expect([...nice.values()].filter((n) => n === 5).length).toBeGreaterThanOrEqual(2);
  expect(nice.get(process.pid)).toBe(0);
}, 30_000);

test.skipIf(process.getuid?.() !== 0)(
  "tcpvs serve as root: the main thread (checks, control) at nice -5, the data-path threads at 0",
  async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const b = backend("b1");
    cleanups.push(() => b.stop());
    const port = freePort();
    const text = configText({ port, control: `unix:${tmp.dir}/c.sock`, backends: [b], checkInterval: "5s" });
    const file = writeConfig(tmp.dir, text.replace("[global]\n", "[global]\nworkers = 2\n"));
    const p = spawnLines([BUN, MAIN, "serve", "-c", file]);
    try {
      await waitLine(p, /tcpvs serving/, 15_000);
      const nice = threadNice(p.proc.pid);
      expect(nice.get(p.proc.pid)).toBe(-5);
      // The two data-path Worker threads (and helper threads they started) at 0; nothing at 5.
      expect([...nice.values()].filter((n) => n === 0).length).toBeGreaterThanOrEqual(2);
      expect([...nice.values()].filter((n) => n === 5)).toEqual([]);
      expect(p.lines.some((l) => l.includes("Cannot raise the control plane"))).toBe(false);
    } finally {
      killIfRunning(p);
    }
  },
  30_000,
);

test("workers = 2: 40 new connections with persistence_timeout all reach one server", async () => {
  const s = await serveWorkers({ pool: 'scheduler = "rr"\npersistence_timeout = "60s"' });
  const bodies = new Set<string>();
  for (let i = 0; i < 40; i++) {
    const r = await once(s.port);
    expect(r.status).toBe(200);
    bodies.add(r.body);
  }
  expect(bodies.size).toBe(1);
  // The point: connections accepted by both workers, one shared table.
  const w = s.pool.workers();
  expect(w[0]!.requests).toBeGreaterThan(0);
  expect(w[1]!.requests).toBeGreaterThan(0);
}, 30_000);

/** A backend that answers after delayMs and records the most requests it held at once. */
function countingBackend(name: string, delayMs: number) {
  const b = { name, address: "", now: 0, peak: 0, hits: 0, stop: () => server.stop(true) };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      if (new URL(req.url).pathname === "/health") return new Response("ok");
      b.hits++;
      b.now++;
      b.peak = Math.max(b.peak, b.now);
      await Bun.sleep(delayMs);
      b.now--;
      return new Response(`${name}\n`);
    },
  });
  b.address = `127.0.0.1:${server.port}`;
  return b;
}

test("workers = 2: max_connections = 4 per server holds across workers under 16 concurrent slow requests", async () => {
  const c1 = countingBackend("b1", 600);
  const c2 = countingBackend("b2", 600);
  const s = await serveWorkers({
    backends: [c1, c2] as unknown as Backend[],
    pool: 'scheduler = "lc"',
    serverExtra: "max_connections = 4",
  });
  const results = await Promise.all(Array.from({ length: 16 }, () => once(s.port, "/slow")));
  const ok = results.filter((r) => r.status === 200).length;
  expect(c1.peak).toBeLessThanOrEqual(4);
  expect(c2.peak).toBeLessThanOrEqual(4);
  // The limit is the whole 8 places, not 4 per worker per server: 8 served, the rest refused (503).
  expect(ok).toBe(8);
  expect(results.filter((r) => r.status === 503).length).toBe(8);
  // The refusals were counted in the workers; status asks them first, so they show at once.
  const st = await statusJson(`unix:${s.control}`);
  expect(st.counters["reject.no_server"]).toBe(8);
  const w = s.pool.workers();
  expect(w[0]!.requests + w[1]!.requests).toBe(8);
  // The counts came back to zero once every exchange ended.
  await waitFor(() => s.d.cluster.pools.get("app")!.servers.every((x) => x.active === 0), 2000, "active 0");
}, 30_000);

test("workers = 2: drain and weight set through tcpvs status apply to connections of either worker", async () => {
  const s = await serveWorkers();
  const status = (...a: string[]) => runTcpvs(["status", ...a, "--control", s.control]);
  expect((await status("drain", "app", "b1")).code).toBe(0);
  for (let i = 0; i < 20; i++) expect((await once(s.port)).body).toBe("b2\n");
  expect((await status("enable", "app", "b1")).code).toBe(0);
  expect((await status("weight", "app", "b2", "0")).code).toBe(0);
  const before = s.pool.workers().map((w) => w.requests);
  for (let i = 0; i < 20; i++) expect((await once(s.port)).body).toBe("b1\n");
  const after = s.pool.workers().map((w) => w.requests);
  expect(after[0]! - before[0]!).toBeGreaterThan(0);
  expect(after[1]! - before[1]!).toBeGreaterThan(0);
  // `tcpvs status --json` shows the workers, and sums over them.
  const j = (await statusJson(`unix:${s.control}`)) as unknown as {
    workers: Array<{ id: number; requests: number }>;
  };
  expect(j.workers.map((w) => w.id)).toEqual([0, 1]);
  expect(j.workers.reduce((n, w) => n + w.requests, 0)).toBe(40);
}, 30_000);

test("workers = 2: a control-plane decision reaches every worker within a bound (measured)", async () => {
  const s = await serveWorkers();
  const rounds: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    s.d.cluster.updateServer(
      "app",
      "b1",
      (x) => {
        x.drained = i % 2 === 0;
      },
      "test",
    );
    await s.pool.broadcast();
    rounds.push(performance.now() - t0);
  }
  rounds.sort((a, b) => a - b);
  const p50 = rounds[25]!;
  const max = rounds[49]!;
  console.log(
    `propagation to 2 workers: p50 ${p50.toFixed(3)} ms, max ${max.toFixed(3)} ms (50 rounds, shared 2-core machine)`,
  );
  // A correctness bound, not a speed claim: an acknowledged change, well inside one health-check interval.
  expect(max).toBeLessThan(1000);
}, 30_000);

test("workers = 2: a reload under load loses no request, applies to both workers; a broken file changes nothing", async () => {
  const s = await serveWorkers();
  const loads = [steadyLoad(`http://127.0.0.1:${s.port}/`, 2), steadyLoad(`http://127.0.0.1:${s.port}/`, 3)];
  await Bun.sleep(200);
  for (let i = 0; i < 4; i++) {
    s.setText(configTextWithWeight(s, i + 1));
    expect((await s.d.reload()).ok).toBe(true);
    await Bun.sleep(100);
  }
  // b2 quiescent and a second virtual server: both workers take both at once.
  const port2 = freePort();
  s.setText(
    `${configTextWithWeight(s, 0)}
[[virtual_server]]
name = "second"
listen = ["127.0.0.1:${port2}"]
mode = "http"
pool = "app"
`,
  );
  expect((await s.d.reload()).ok).toBe(true);
  const before = s.pool.workers().map((w) => w.requests);
  for (let i = 0; i < 20; i++) {
    expect((await once(s.port)).body).toBe("b1\n");
    expect((await once(port2)).body).toBe("b1\n");
  }
  const after = s.pool.workers().map((w) => w.requests);
  expect(after[0]! - before[0]!).toBeGreaterThan(0);
  expect(after[1]! - before[1]!).toBeGreaterThan(0);
  const last = s.d.config;
  s.setText("[global\nbroken");
  expect((await s.d.reload()).ok).toBe(false);
  expect(s.d.config).toBe(last);
  for (let i = 0; i < 10; i++) expect((await once(port2)).body).toBe("b1\n");
  await Bun.sleep(200);
  for (const l of loads) await l.stop();
  const ok = loads.reduce((n, l) => n + l.ok, 0);
  const failed = loads.reduce((n, l) => n + l.failed, 0);
  expect(failed).toBe(0);
  expect(ok).toBeGreaterThan(20);
}, 30_000);

/** The setup's config with b2's weight changed (and so a real change for every worker). */
function configTextWithWeight(s: Setup, w: number): string {
  const b2 = s.backends[1]!;
  return configText({
    port: s.port,
    control: `unix:${s.control}`,
    backends: s.backends,
    checkInterval: "5s",
  }).replace(`address = "${b2.address}"\n`, `address = "${b2.address}"\n  weight = ${w}\n`);
}

for (const victim of [1, 0])
  test(`workers = 2: worker ${victim} dying of an uncaught error is logged and replaced; the other keeps serving`, async () => {
    const s = await serveWorkers();
    const load = steadyLoad(`http://127.0.0.1:${s.port}/`, 2);
    await Bun.sleep(100);
    s.pool.injectFault(victim);
    await waitFor(() => s.pool.restarts === 1 && s.pool.allReady, 10_000, `worker ${victim} replaced`);
    const during = load.ok;
    await Bun.sleep(200);
    await load.stop();
    expect(load.ok).toBeGreaterThan(during);
    expect(s.lines.some((l) => l.includes("data-path worker died") && l.includes(`"worker":${victim}`))).toBe(
      true,
    );
    // Both accept again, and nothing the dead worker counted is left in the shared counts.
    const before = s.pool.workers().map((w) => w.requests);
    for (let i = 0; i < 40; i++) expect((await once(s.port)).status).toBe(200);
    const after = s.pool.workers().map((w) => w.requests);
    expect(after[1]! - before[1]!).toBeGreaterThan(0);
    expect(after[0]! - before[0]!).toBeGreaterThan(0);
    await waitFor(() => s.d.cluster.pools.get("app")!.servers.every((x) => x.active === 0), 2000, "active 0");
  }, 30_000);

test("workers = 2: stop drains requests in flight on every worker within grace", async () => {
  const s = await serveWorkers({ grace: "5s" });
  const inflight = Array.from({ length: 12 }, () => once(s.port, "/slow"));
  await waitFor(
    () => s.backends.reduce((n, b) => n + b.slowStarted, 0) === 12,
    5000,
    "12 slow requests started",
  );
  const w = s.pool.workers();
  expect(w[0]!.connections).toBeGreaterThan(0);
  expect(w[1]!.connections).toBeGreaterThan(0);
  await s.d.stop(5000);
  const results = await Promise.all(inflight);
  expect(results.every((r) => r.status === 200)).toBe(true);
}, 30_000);

test("workers = 2: cookie persistence holds whichever worker accepts", async () => {
  const s = await serveWorkers({ pool: 'scheduler = "rr"\nscheduler_options = { cookie = "SRV" }' });
  const first = await fetch(`http://127.0.0.1:${s.port}/`, { headers: { connection: "close" } });
  const server = await first.text();
  const cookie = first.headers.get("set-cookie")!.split(";")[0]!;
  expect(cookie).toMatch(/^SRV=/);
  const before = s.pool.workers().map((w) => w.requests);
  for (let i = 0; i < 30; i++) {
    const r = await fetch(`http://127.0.0.1:${s.port}/`, { headers: { connection: "close", cookie } });
    expect(await r.text()).toBe(server);
  }
  const after = s.pool.workers().map((w) => w.requests);
  expect(after[0]! - before[0]!).toBeGreaterThan(0);
  expect(after[1]! - before[1]!).toBeGreaterThan(0);
}, 30_000);

test.skipIf(NO_TASKSET !== undefined)(
  'tcpvs config check shows the workers chosen: "auto" under taskset -c 0 is 1',
  async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const fake = { name: "b1", address: "127.0.0.1:9" } as Backend;
    const text = configText({
      port: 1,
      control: `unix:${tmp.dir}/c.sock`,
      backends: [fake],
      checkInterval: "5s",
    });
    const check = async (workers: string, cpus: string) => {
      const file = writeConfig(tmp.dir, text.replace("[global]\n", `[global]\nworkers = ${workers}\n`));
      const p = Bun.spawn(["taskset", "-c", cpus, BUN, MAIN, "config", "check", "--json", "-c", file], {
        stdout: "pipe",
        stderr: "pipe",
      });
      const out = await new Response(p.stdout).text();
      expect(await p.exited).toBe(0);
      return (JSON.parse(out) as { workers: number }).workers;
    };
    expect(await check('"auto"', "0")).toBe(1);
    expect(await check('"auto"', "0,1")).toBe(Math.min(2, navigator.hardwareConcurrency));
    expect(await check("3", "0")).toBe(3);
  },
  30_000,
);

test("workers = 2: a second stop request (hurry) cuts what every worker still drains", async () => {
  const slow = [backend("b1", 20_000), backend("b2", 20_000)];
  const s = await serveWorkers({ backends: slow, grace: "30s" });
  const inflight = Array.from({ length: 8 }, () =>
    once(s.port, "/slow").catch(() => ({ status: 0, body: "" })),
  );
  await waitFor(() => slow.reduce((n, b) => n + b.slowStarted, 0) === 8, 5000, "8 slow requests started");
  const w = s.pool.workers();
  expect(w[0]!.connections + w[1]!.connections).toBe(8);
  const stopped = s.d.stop(30_000);
  await Bun.sleep(200);
  s.d.hurry();
  // Not a speed claim: without the cut this waits for the 20 s backends (grace is 30 s).
  const r = await Promise.race([
    stopped.then(() => "stopped"),
    Bun.sleep(10_000).then(() => "still draining"),
  ]);
  expect(r).toBe("stopped");
  const results = await Promise.all(inflight);
  expect(results.every((x) => x.status !== 200)).toBe(true);
}, 30_000);

test.skipIf(missingTools("the TLS test with workers", "openssl") !== undefined)(
  "workers = 2: a TLS listener is shared too, both workers terminate",
  async () => {
    const { ca, pem } = certificate();
    const s = await serveWorkers({ vsExtra: `  [virtual_server.tls]\n  certificates = ["${pem}"]\n` });
    for (let i = 0; i < 40; i++) {
      const r = await fetch(`https://127.0.0.1:${s.port}/`, {
        headers: { connection: "close" },
        tls: { ca },
      } as RequestInit);
      expect(r.status).toBe(200);
      await r.text();
    }
    const w = s.pool.workers();
    expect(w[0]!.requests).toBeGreaterThan(0);
    expect(w[1]!.requests).toBeGreaterThan(0);
  },
  30_000,
);

test("workers = 2: lblcr's shared table grows when a reload takes the pool past 32 servers; one set for both workers", async () => {
  const s = await serveWorkers({ pool: 'scheduler = "lblcr"' });
  const width = () => tableWidth(s.pool.counts.layout.locality["app:lblcr"]!);
  expect(width()).toBe(lblcrWidth(2));
  // 38 more servers at weight 0: never picked, but each needs a bit in a key's set.
  const more = Array.from(
    { length: 38 },
    (_, i) => `  [[pool.app.server]]\n  name = "x${i}"\n  address = "127.0.0.1:${1 + i}"\n  weight = 0\n`,
  ).join("\n");
  s.setText(s.getText().replace("  [pool.app.check]", `${more}\n  [pool.app.check]`));
  expect((await s.d.reload()).ok).toBe(true);
  expect(width()).toBe(lblcrWidth(40));
  // One key (host and path): each request on a connection of its own, whichever worker takes it.
  const bodies = new Set<string>();
  for (let i = 0; i < 20; i++) bodies.add((await once(s.port, "/same")).body);
  expect(bodies.size).toBe(1);
  expect(s.pool.workers().every((w) => w.requests > 0)).toBe(true);
}, 30_000);

test("workers = 2, worker_by_source: one client's connections all reach one worker; a reload clears it", async () => {
  const s = await serveWorkers({ vsExtra: "worker_by_source = true\n" });
  const served = () => s.pool.workers().map((w) => w.requests);
  for (let i = 0; i < 40; i++) expect((await once(s.port)).status).toBe(200);
  // The kernel's 4-tuple hash would put all 40 on one worker with odds of 2^-39.
  expect(served().toSorted((a, b) => a - b)).toEqual([0, 40]);
  s.setText(s.getText().replace("worker_by_source = true\n", ""));
  expect((await s.d.reload()).ok).toBe(true);
  const before = served();
  for (let i = 0; i < 40; i++) expect((await once(s.port)).status).toBe(200);
  const after = served().map((n, i) => n - before[i]!);
  expect(Math.min(...after)).toBeGreaterThan(0);
  expect(s.lines.filter((l) => l.includes("Cannot steer"))).toEqual([]);
}, 30_000);

test.skipIf(missingTools("the TLS resumption test with workers", "openssl") !== undefined)(
  "workers = 2, worker_by_source: a TLS session resumes on every connection (1.2 and 1.3)",
  async () => {
    const { dir, pem } = certificate();
    const s = await serveWorkers({
      vsExtra: `worker_by_source = true\n  [virtual_server.tls]\n  certificates = ["${pem}"]\n`,
    });
    const get = "GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n";
    const resume = (args: string[]) => sClient(s.port, args, get, { waitMs: 300 });
    for (const v of ["-tls1_2", "-tls1_3"]) {
      const sess = `${dir}/sess${v}`;
      expect(await resume([v, "-sess_out", sess])).toContain("New, TLS");
      // Each on a new connection: without the steering, half would reach the other worker's key.
      let reused = 0;
      for (let i = 0; i < 6; i++) if ((await resume([v, "-sess_in", sess])).includes("Reused, TLS")) reused++;
      expect(`${v}: ${reused} of 6 resumed`).toBe(`${v}: 6 of 6 resumed`);
    }
  },
  40_000,
);

test("workers = 2: a rate limit counts one bucket per client over both workers (10 × 200, 20 × 429)", async () => {
  // 10 per 100 s: one request is worth 10 s, so none comes back during the test however slow the machine.
  const s = await serveWorkers({
    vsExtra: 'access_log = true\n[[virtual_server.limit]]\nkey = "source"\nrate = "10/100s"\n',
  });
  const statuses: number[] = [];
  const retry: string[] = [];
  for (let i = 0; i < 30; i++) {
    const r = await fetch(`http://127.0.0.1:${s.port}/`, { headers: { connection: "close" } });
    await r.text();
    statuses.push(r.status);
    if (r.status === 429) retry.push(r.headers.get("retry-after") ?? "");
  }
  expect(statuses.filter((x) => x === 200).length).toBe(10);
  expect(statuses.filter((x) => x === 429).length).toBe(20);
  // The next request is about 10 s away (rounded up), whichever worker answers: one clock for all.
  expect(retry.filter((x) => !(Number(x) >= 5 && Number(x) <= 11))).toEqual([]);
  // The servers saw exactly the 10 allowed.
  expect(s.backends.reduce((n, b) => n + b.hits, 0)).toBe(10);
  // Both workers answered some of the 30 (the kernel spreads new connections): with a bucket per worker
  // each would have allowed 10.
  await waitFor(
    () => s.lines.filter((l) => l.includes('"term":"limited"')).length === 20,
    5000,
    "20 access lines term=limited",
  );
  const by = (w: number) =>
    s.lines.filter((l) => l.includes('"uri":"/"') && l.includes(`"worker":${w}`)).length;
  expect(by(0)).toBeGreaterThan(0);
  expect(by(1)).toBeGreaterThan(0);
  expect(by(0) + by(1)).toBe(30);
  // A reload that keeps the limit keeps its counters; one that changes it starts it afresh.
  const text = (limit: string, grace = "5s") =>
    configText({
      grace,
      port: s.port,
      control: `unix:${s.control}`,
      backends: s.backends,
      checkInterval: "5s",
      vsExtra: `access_log = true\n[[virtual_server.limit]]\nkey = "source"\n${limit}\n`,
    });
  s.setText(text('rate = "10/100s"', "4s"));
  expect((await s.d.reload()).ok).toBe(true);
  for (let i = 0; i < 4; i++) expect((await once(s.port)).status).toBe(429);
  s.setText(text('rate = "10/100s"\nburst = 1'));
  expect((await s.d.reload()).ok).toBe(true);
  const again: number[] = [];
  for (let i = 0; i < 13; i++) again.push((await once(s.port)).status);
  expect(again.filter((x) => x === 200).length).toBe(11);
  expect(s.backends.reduce((n, b) => n + b.hits, 0)).toBe(21);
}, 30_000);

test("workers = 2: max_connections_per_source = 2 holds over both workers; a dead worker's share is taken back", async () => {
  const s = await serveWorkers({ vsExtra: "max_connections_per_source = 2\n" });
  const open = () => Bun.connect({ hostname: "127.0.0.1", port: s.port, socket: { data() {}, close() {} } });
  const conns = () => s.pool.workers().map((w) => w.connections);
  const held = (n: number) => waitFor(() => conns()[0]! + conns()[1]! === n, 5000, `${n} connections held`);
  // One held connection on each worker: per-worker counts would each be 1 and admit a third anywhere.
  const a = await open();
  await held(1);
  const first = conns()[0] === 1 ? 0 : 1;
  let b = await open();
  for (let i = 0; i < 50; i++) {
    await held(2);
    if (conns()[1 - first] === 1) break;
    b.end();
    await held(1);
    b = await open();
  }
  expect(conns()).toEqual([1, 1]);
  // Every further connection is closed unanswered, whichever worker accepts it.
  for (let i = 0; i < 10; i++) {
    const r = await fetch(`http://127.0.0.1:${s.port}/`, { headers: { connection: "close" } }).catch(
      () => undefined,
    );
    expect(r).toBeUndefined();
  }
  await s.pool.flush();
  expect(s.d.cluster.counters.get("reject.max_connections_per_source")).toBe(10);
  // One held connection goes: the address may connect again.
  a.end();
  await held(1);
  expect((await once(s.port)).status).toBe(200);
  // The worker holding `b` dies: its connection is taken out of the address's count with it.
  const holder = conns()[0] === 1 ? 0 : 1;
  s.pool.injectFault(holder);
  await waitFor(() => s.pool.allReady && s.pool.restarts === 1, 10_000, "worker replaced");
  const c1 = await open();
  const c2 = await open();
  await held(2);
  c1.end();
  c2.end();
  b.end();
}, 60_000);

/** Listening sockets on `port` in this process and any other (/proc/net/tcp, state LISTEN). */
function listeningSockets(port: number): number {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  return readFileSync("/proc/net/tcp", "latin1")
    .split("\n")
    .slice(1)
    .filter((l) => {
      const f = l.trim().split(/\s+/);
      return f[1]?.endsWith(hex) && f[3] === "0A";
    }).length;
}

test("workers = 2: a virtual server's max_connections = 4 over both workers: 12 slow clients all served, none refused, never more than 4 in", async () => {
  const c = countingBackend("b1", 400);
  const s = await serveWorkers({ backends: [c] as unknown as Backend[], vsExtra: "max_connections = 4" });
  // Each worker found its listener's gate (accept-gate.ts) and listed its descriptors for the main thread.
  expect(s.lines.some((l) => l.includes("Cannot pause accepting"))).toBe(false);
  expect(s.pool.gates.listed(0).length).toBe(2);
  expect(s.pool.gates.listed(1).length).toBe(2);
  const v = s.pool.counts.layout.vs.web!;
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, Atomics.load(s.pool.counts.vsConns, v));
  }, 2);
  const split0 = s.pool.workers().map((w) => w.requests);
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: 12 }, () => once(s.port, "/slow")));
  const ms = performance.now() - t0;
  clearInterval(sampler);
  expect(results.map((r) => r.status)).toEqual(Array(12).fill(200));
  expect(c.peak).toBeLessThanOrEqual(4);
  expect(peak).toBeLessThanOrEqual(4);
  expect(peak).toBeGreaterThan(0);
  const st = await statusJson(`unix:${s.control}`);
  expect(st.counters["reject.max_connections"] ?? 0).toBe(0);
  console.log(
    `12 clients, max_connections 4, 400 ms each, 2 workers: all served in ${ms.toFixed(0)} ms (3 rounds = 1200 ms ideal); backend peak ${c.peak}, shared count peak ${peak}, parked after a lost race ${st.counters["accept.parked"] ?? 0}, split over workers ${s.pool
      .workers()
      .map((w, i) => w.requests - split0[i]!)
      .join("/")}`,
  );
}, 30_000);

test("workers = 2: a worker that dies while its gate is paused leaves no orphan socket queueing; its replacement serves", async () => {
  const c = countingBackend("b1", 1500);
  const s = await serveWorkers({ backends: [c] as unknown as Backend[], vsExtra: "max_connections = 2" });
  expect(listeningSockets(s.port)).toBe(2);
  // Connections of the worker that dies are lost with it (reset): only what comes after counts here.
  const lost = (p: Promise<unknown>) => p.catch(() => undefined);
  const held = [lost(once(s.port, "/slow")), lost(once(s.port, "/slow"))];
  await waitFor(() => c.now === 2, 5000, "two slow requests in");
  // Both workers' gates pause (the count is global); more clients wait in the kernel's queues.
  const queued = Array.from({ length: 4 }, () => lost(once(s.port, "/q")));
  await Bun.sleep(100);
  const before = s.pool.gates.listed(1);
  expect(before.length).toBe(2);
  s.pool.injectFault(1);
  await waitFor(() => s.pool.restarts === 1 && s.pool.allReady, 10_000, "worker 1 replaced");
  // The dead worker's duplicates were closed: one listening socket per live worker, no third one.
  expect(listeningSockets(s.port)).toBe(2);
  expect(s.lines.some((l) => l.includes("closed a dead worker's accept-gate descriptors"))).toBe(true);
  await Promise.allSettled([...held, ...queued]);
  // Every connection made now reaches a live worker: an orphan would hold about a third of them.
  // (The backend answers /health at once; 30 at a time still wait their turn for the 2 slots.)
  const after = await Promise.all(
    Array.from({ length: 30 }, () =>
      fetch(`http://127.0.0.1:${s.port}/health`, {
        headers: { connection: "close" },
        signal: AbortSignal.timeout(5000),
      })
        .then((r) => r.status)
        .catch((e: unknown) => String(e)),
    ),
  );
  expect(after).toEqual(Array(30).fill(200));
}, 30_000);

/** A keep-alive client that makes one request and stays connected; whether it was answered in time. */
async function keepAliveClient(
  port: number,
  timeoutMs: number,
): Promise<{ sock: Socket<undefined>; answered: boolean }> {
  let got = "";
  const sock = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data: (_s, d) => {
        got += d.toString("latin1");
      },
      error: () => {},
    },
  });
  sock.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  const answered = await waitFor(() => /b[12]\n$/.test(got), timeoutMs, "an answer").then(
    () => true,
    () => false,
  );
  return { sock, answered };
}

test("workers = 2: idle keep-alive connections on one worker give way to clients waiting in the other's queue", async () => {
  const s = await serveWorkers({ vsExtra: 'max_connections = 4\nclient_keepalive_timeout = "60s"' });
  const conns = () => s.pool.workers().map((w) => w.connections);
  const open: Array<Socket<undefined>> = [];
  cleanups.push(() => {
    for (const c of open) c.end();
  });
  // Four idle keep-alive clients, all on worker 0: one that connected to worker 1 is closed, tried again.
  for (let tries = 0; conns()[0]! < 4 && tries < 200; tries++) {
    const c = await keepAliveClient(s.port, 3000);
    expect(c.answered).toBe(true);
    if (conns()[1] === 0) open.push(c.sock);
    else {
      c.sock.end();
      await waitFor(() => conns()[1] === 0, 3000, "worker 1 back to 0");
    }
  }
  expect(conns()).toEqual([4, 0]);
  // More keep-alive clients, each staying, so every one finds the 4 slots full, until one lands on
  // worker 1: it waits in worker 1's paused queue, and only worker 0 has idle connections to close.
  const before = s.pool.workers()[1]!.requests;
  for (let i = 0; i < 20 && s.pool.workers()[1]!.requests === before; i++) {
    const c = await keepAliveClient(s.port, 5000);
    open.push(c.sock);
    expect(c.answered).toBe(true);
  }
  expect(s.pool.workers()[1]!.requests).toBeGreaterThan(before);
  const st = await statusJson(`unix:${s.control}`);
  expect(st.counters["close.idle_reaped"] ?? 0).toBeGreaterThan(0);
}, 60_000);

test("workers = 2: the connection ceiling counts over both workers: one worker may hold most of it, none beyond it", async () => {
  // [global] max_connections lowers the ceiling to 6 for the whole process.
  const s = await serveWorkers({ global: "max_connections = 6" });
  const conns = () => s.pool.workers().map((w) => w.connections);
  const held: Array<Socket<undefined>> = [];
  cleanups.push(() => {
    for (const c of held) c.end();
  });
  /** A client mid-request (half a head: never closed to make room); which worker took it, if any did. */
  const hold = async (): Promise<number | undefined> => {
    const before = conns();
    const sock = await Bun.connect({
      hostname: "127.0.0.1",
      port: s.port,
      socket: { data() {}, error() {} },
    });
    held.push(sock);
    sock.write("GET / HTTP/1.1\r\n");
    const took = await waitFor(() => conns().some((n, i) => n > before[i]!), 1000, "an accept").then(
      () => conns().findIndex((n, i) => n > before[i]!),
      () => undefined,
    );
    return took;
  };
  // Five on worker 0 (more than half the ceiling): one that lands on worker 1 is let go again.
  for (let tries = 0; conns()[0]! < 5 && tries < 100; tries++) {
    const w = await hold();
    expect(w).not.toBeUndefined();
    if (w === 1) {
      held.pop()!.end();
      await waitFor(() => conns()[1] === 0, 3000, "worker 1 back to 0");
    }
  }
  expect(conns()).toEqual([5, 0]);
  // The sixth fills the ceiling wherever it lands; a seventh waits in a queue, answered once one leaves.
  expect(await hold()).not.toBeUndefined();
  expect(conns()[0]! + conns()[1]!).toBe(6);
  let answered = 0;
  const late = fetch(`http://127.0.0.1:${s.port}/`, { headers: { connection: "close" } }).then((r) => {
    answered = r.status;
  });
  await Bun.sleep(300);
  expect(answered).toBe(0);
  expect(conns()[0]! + conns()[1]!).toBe(6);
  held.shift()!.end();
  await late;
  expect(answered).toBe(200);
  const st = await statusJson(`unix:${s.control}`);
  expect(st.counters["reject.max_connections"] ?? 0).toBe(0);
}, 30_000);
