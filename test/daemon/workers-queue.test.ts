// `[global] workers = 2` with a pool's queue (queue_timeout) and passive health (observe): both behave
// as one load balancer. A slot freed by one worker serves a request queued in the other (no sweep tick
// needed); errors seen by both workers add up to one count that marks the server down for all.

import { afterEach, expect, test } from "bun:test";
import type { Server } from "bun";
import type { Daemon } from "../../core/daemon/daemon.ts";
import type { WorkerPool } from "../../core/daemon/worker-pool.ts";
import { freePort, KeepAlive, serveInProcess, statusJson, tempDir, waitFor } from "./harness.ts";

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A backend that answers `status` after `delayMs` and records how many requests it held at once. */
function server(name: string, delayMs: number, status = 200) {
  const b = {
    name,
    address: "",
    hits: 0,
    now: 0,
    most: 0,
    paths: [] as string[],
    starts: [] as number[],
    ends: [] as number[],
  };
  const srv: Server<undefined> = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === "/health") return new Response("ok");
      b.hits++;
      b.paths.push(path);
      b.now++;
      b.most = Math.max(b.most, b.now);
      b.starts.push(performance.now());
      if (delayMs > 0) await Bun.sleep(delayMs);
      b.ends.push(performance.now());
      b.now--;
      return new Response(`${name}\n`, { status });
    },
  });
  b.address = `127.0.0.1:${srv.port}`;
  cleanups.push(() => srv.stop(true));
  return b;
}

interface Setup {
  d: Daemon;
  pool: WorkerPool;
  port: number;
  control: string;
}

async function serve(pool: string, servers: string, tickMs?: number): Promise<Setup> {
  const tmp = tempDir();
  cleanups.push(tmp.cleanup);
  const port = freePort();
  const control = `${tmp.dir}/c.sock`;
  const text = `[global]
control = "unix:${control}"
grace = "1s"

[[virtual_server]]
name = "web"
listen = ["127.0.0.1:${port}"]
mode = "http"
pool = "app"

[pool.app]
scheduler = "rr"
${pool}
${servers}`;
  const started = await serveInProcess(() => text, { tickMs });
  cleanups.push(() => started.d.stop(0));
  return { d: started.d, pool: started.pool, port, control };
}

/**
 * `perWorker` keep-alive connections accepted by each worker: the kernel spreads new connections by
 * their 4-tuple, so open some and keep those the wanted worker took (its connection count moved).
 */
async function connectionsOn(s: Setup, perWorker: number): Promise<KeepAlive[][]> {
  const by: KeepAlive[][] = Array.from({ length: s.pool.size }, () => []);
  for (let tries = 0; tries < 200 && by.some((l) => l.length < perWorker); tries++) {
    const before = s.pool.workers().map((w) => w.connections);
    const c = await KeepAlive.open(s.port);
    cleanups.push(() => c.close());
    let w = -1;
    await waitFor(
      () => {
        w = s.pool.workers().findIndex((x, i) => x.connections > before[i]!);
        return w >= 0;
      },
      5000,
      "a worker to accept the connection",
    );
    // The others stay open until the end: one closing now would move a count while the next opens.
    if (by[w]!.length < perWorker) by[w]!.push(c);
  }
  if (by.some((l) => l.length < perWorker)) throw new Error("Cannot get connections on every worker");
  return by;
}

test("workers = 2: a slot freed in one worker serves the requests queued in the other, in order and in time", async () => {
  const b = server("b1", 200);
  // The sweep tick (which also retries queues) is a minute here: only a wake across workers serves.
  const s = await serve(
    'queue_timeout = "5s"',
    `  [[pool.app.server]]\n  name = "b1"\n  address = "${b.address}"\n  max_connections = 1\n`,
    60_000,
  );
  const by = await connectionsOn(s, 4);
  const conns = [0, 1, 2, 3].flatMap((i) => [by[0]![i]!, by[1]![i]!]);
  const paths = conns.map((_, i) => `/q${i}`);
  // Sent a little apart, alternating workers, so their order is plain: one queue over both workers
  // serves them in it (without one order, the worker that frees the slot would serve its own first).
  const answers = await Promise.all(
    conns.map(async (c, i) => {
      await Bun.sleep(i * 50);
      return c.get(paths[i]!, 10_000);
    }),
  );
  expect(answers.map((a) => a.status)).toEqual(paths.map(() => 200));
  expect(b.paths).toEqual(paths);
  // max_connections = 1 over both workers: one at a time, never two.
  expect(b.most).toBe(1);
  // Both workers queued: seven requests waited for the one slot, spread over the two.
  const st = await statusJson(s.control);
  const queued = (st as unknown as { workers: Array<{ queued: number }> }).workers.map((w) => w.queued);
  expect(queued.reduce((a, x) => a + x, 0)).toBe(7);
  expect(queued.every((q) => q > 0)).toBe(true);
  // Each request started when the one before ended, not at a sweep tick (a minute here).
  const gaps = b.starts.slice(1).map((t, i) => t - b.ends[i]!);
  console.log(`hand-over gaps between requests (ms): ${gaps.map((g) => g.toFixed(2)).join(" ")}`);
  for (const g of gaps) expect(g).toBeLessThan(1000);
}, 30_000);

test("workers = 2: a queue that times out in either worker answers 503", async () => {
  const b = server("b1", 1500);
  const s = await serve(
    'queue_timeout = "300ms"',
    `  [[pool.app.server]]\n  name = "b1"\n  address = "${b.address}"\n  max_connections = 1\n`,
  );
  const by = await connectionsOn(s, 2);
  const first = by[0]![0]!.get("/slow", 5000);
  await waitFor(() => b.hits === 1, 5000, "the first request to reach the server");
  const [w0, w1] = await Promise.all([by[0]![1]!.get("/w0", 5000), by[1]![0]!.get("/w1", 5000)]);
  expect([w0.status, w1.status]).toEqual([503, 503]);
  expect(w1.body).toContain("queue_timeout");
  expect((await first).status).toBe(200);
  expect(b.hits).toBe(1);
  // Nothing is left waiting in shared memory.
  expect(s.pool.queueWords.waiting(s.pool.counts.layout.pools.app!)).toBe(0);
}, 30_000);

test("workers = 2: a worker that dies with requests queued does not hold back the other's", async () => {
  const b = server("b1", 800);
  const s = await serve(
    'queue_timeout = "4s"',
    `  [[pool.app.server]]\n  name = "b1"\n  address = "${b.address}"\n  max_connections = 1\n`,
    60_000,
  );
  const by = await connectionsOn(s, 2);
  // Worker 0 holds the slot and the oldest waiter; worker 1's waiter comes after it.
  const lost = [by[0]![0]!.get("/slow", 5000), by[0]![1]!.get("/w0", 5000)].map((p) => p.catch(() => null));
  await waitFor(() => b.hits === 1, 5000, "the first request to reach the server");
  await Bun.sleep(50);
  const waiting = by[1]![0]!.get("/w1", 8000);
  await waitFor(() => s.pool.workers()[1]!.queued === 1, 5000, "worker 1 to queue its request");
  s.pool.injectFault(0);
  // Its slot and its first place are given back: worker 1's request is served, not timed out.
  expect((await waiting).status).toBe(200);
  expect(b.paths).toEqual(["/slow", "/w1"]);
  await Promise.all(lost);
}, 30_000);

test("workers = 2: errors seen by both workers add up and mark the server down for all", async () => {
  const bad = server("bad", 0, 500);
  const good = server("good", 0);
  const s = await serve(
    'observe = { errors = 4, within = "10s" }',
    `  [[pool.app.server]]\n  name = "bad"\n  address = "${bad.address}"\n` +
      `  [[pool.app.server]]\n  name = "good"\n  address = "${good.address}"\n` +
      // Checks so the mark goes through the health monitor; they would bring it back in a minute.
      '  [[pool.app.check]]\n  type = "http"\n  path = "/health"\n  interval = "60s"\n  rise = 1\n',
  );
  await waitFor(() => s.d.cluster.pools.get("app")!.servers.every((x) => x.up), 5000, "servers up");
  const by = await connectionsOn(s, 1);
  const [c0, c1] = [by[0]![0]!, by[1]![0]!];
  // rr is one sequence over both workers: two requests on a worker's connection reach each server once,
  // so each worker sees 2 of the 4 errors, fewer than the limit on its own.
  for (const c of [c0, c0, c1, c1, c0, c0, c1, c1]) await c.get("/");
  expect(bad.hits).toBe(4);
  await waitFor(() => !s.d.cluster.pools.get("app")!.server("bad")!.up, 5000, "bad to be marked down");
  const st = await statusJson(s.control);
  const badStatus = st.pools[0]!.servers.find((x) => x.name === "bad")!;
  expect(badStatus.state).toBe("down");
  expect(badStatus.responses_5xx_total).toBe(4);
  expect(st.counters["observe.down"]).toBe(1);
  // Every later request, on either worker, goes to the other server (once both applied the mark).
  await s.pool.broadcast();
  for (const c of [c0, c1, c0, c1, c0, c1]) expect((await c.get("/")).status).toBe(200);
  expect(bad.hits).toBe(4);
}, 30_000);

test("workers = 2: a server without checks marked down by errors over both workers comes back after `within`", async () => {
  const bad = server("bad", 0, 503);
  const good = server("good", 0);
  const s = await serve(
    'observe = { errors = 2, within = "1500ms" }',
    `  [[pool.app.server]]\n  name = "bad"\n  address = "${bad.address}"\n` +
      `  [[pool.app.server]]\n  name = "good"\n  address = "${good.address}"\n`,
  );
  const by = await connectionsOn(s, 1);
  const [c0, c1] = [by[0]![0]!, by[1]![0]!];
  for (const c of [c0, c0, c1, c1]) await c.get("/");
  expect(bad.hits).toBe(2);
  const bad0 = () => s.d.cluster.pools.get("app")!.server("bad")!;
  await waitFor(() => !bad0().up, 5000, "bad to be marked down");
  await s.pool.broadcast();
  for (const c of [c0, c1, c0, c1]) expect((await c.get("/")).status).toBe(200);
  expect(bad.hits).toBe(2);
  // The main thread's tick brings it back, and every worker sends to it again.
  await waitFor(() => bad0().up, 5000, "bad to come back");
  await s.pool.broadcast();
  for (const c of [c0, c0, c1, c1]) await c.get("/");
  expect(bad.hits).toBe(4);
}, 30_000);
