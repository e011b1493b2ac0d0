// Server faults reach the log: a refused connection, a reset, a garbage answer and a response timeout
// each give one WARN line per server at once, then one line per interval with the count and the last
// reason, not one per request.

import { afterEach, expect, test } from "bun:test";
import { memoryLogger } from "../../core/log/logger.ts";
import { Cluster, PoolState, ServerState } from "../../core/state/cluster.ts";
import { Switch } from "../../core/switch/switch.ts";
import { exchange, GET, poolConfig, roundRobin, vsConfig } from "./helpers.ts";

const cleanup: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function deadPort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = l.port;
  l.stop(true);
  return p;
}

/** A server that does `onData` to each connection's first read. */
function rawServer(onData: (s: import("bun").Socket<undefined>) => void): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data: (s) => onData(s), error() {} } });
  cleanup.push(() => l.stop(true));
  return l.port;
}

async function faultRig(servers: Record<string, number>, interval: number, vs = {}) {
  const cluster = new Cluster();
  const states = Object.entries(servers).map(
    ([id, port]) => new ServerState("app", id, `127.0.0.1:${port}`, 1),
  );
  const pool = new PoolState("app", states);
  cluster.pools.set("app", pool);
  const sched = roundRobin(pool);
  const { logger, lines } = memoryLogger("info");
  const sw = new Switch({
    cluster,
    schedulerFor: () => sched,
    log: logger,
    pools: {
      app: poolConfig(
        "app",
        Object.entries(servers).map(([id, port]) => ({ id, port })),
      ),
    },
    tickMs: 20,
    faultLogIntervalMs: interval,
  });
  const cfg = vsConfig({ name: "front", pool: "app", retries: 0, ...vs });
  await sw.listen(cfg);
  cleanup.push(() => sw.close(0));
  const warns = () =>
    lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === "warn");
  return { sw, cluster, port: sw.ports("front")[0]!, warns };
}

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  for (let t = 0; t < ms && !cond(); t += 25) await Bun.sleep(25);
}

test("refused, reset and garbage: one WARN per server at once, then one summary with the count", async () => {
  const ports = {
    refuser: deadPort(),
    resetter: rawServer((s) => s.terminate()),
    garbage: rawServer((s) => {
      s.write("SPAM SPAM SPAM\r\n\r\n");
    }),
  };
  const interval = 1500;
  const r = await faultRig(ports, interval);
  const perServer = 6;
  const statuses: number[] = [];
  for (let i = 0; i < perServer * 3; i++) {
    const x = await exchange(r.port, GET(`/${i}`));
    statuses.push(x.responses[0]?.status ?? 0);
  }
  expect(statuses.every((s) => s === 502)).toBe(true);
  const byServer = (id: string) => r.warns().filter((l) => l.server === id);
  // At once: one line per server, naming the virtual server, pool, server and the reason.
  for (const id of Object.keys(ports)) {
    const first = byServer(id)[0];
    expect(first).toMatchObject({
      vs: "front",
      pool: "app",
      server: id,
      address: `127.0.0.1:${ports[id as keyof typeof ports]}`,
    });
  }
  expect(byServer("refuser")[0]!.reason).toBe("connection refused (ECONNREFUSED)");
  expect(byServer("resetter")[0]!.reason).toBe("connection reset (ECONNRESET)");
  expect(byServer("garbage")[0]!.reason).toStartWith("invalid response: ");
  // At the end of the interval: the rest, counted, in one line per server.
  await waitFor(() => Object.keys(ports).every((id) => byServer(id).length >= 2), interval * 3);
  for (const id of Object.keys(ports)) {
    const lines = byServer(id);
    const total = lines.reduce((n, l) => n + (typeof l.repeated === "number" ? l.repeated : 1), 0);
    expect(total).toBe(perServer);
    // 18 failed requests, 3 servers: a line or two each (the requests may straddle an interval).
    expect(lines.length).toBeLessThanOrEqual(3);
    expect(lines.at(-1)!.msg).toMatch(/: \d+ more times? in 1\.5 s, last: /);
  }
  expect(r.cluster.pools.get("app")!.server("refuser")!.errors).toBe(perServer);
});

test("a response timeout is a server fault in the log; a client's bad request is not", async () => {
  const ports = { silent: rawServer(() => {}) };
  const r = await faultRig(ports, 60_000, { server_response_timeout: 150 });
  for (let i = 0; i < 3; i++) {
    const x = await exchange(r.port, GET(`/${i}`));
    expect(x.responses[0]?.status).toBe(504);
  }
  const bad = await exchange(r.port, "GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n");
  expect(bad.responses[0]?.status).toBe(400);
  const warns = r.warns();
  expect(warns).toHaveLength(1);
  expect(warns[0]).toMatchObject({
    vs: "front",
    pool: "app",
    server: "silent",
    reason: "no response within server_response_timeout",
  });
  // Stopping the switch logs what is still counted.
  await r.sw.close(0);
  expect(r.warns().at(-1)).toMatchObject({ server: "silent", repeated: 2 });
});

test("TCP mode: a refused connect is logged once per interval with its count", async () => {
  const ports = { gone: deadPort() };
  const r = await faultRig(ports, 60_000, { mode: "tcp" });
  for (let i = 0; i < 4; i++) {
    const s = await Bun.connect({ hostname: "127.0.0.1", port: r.port, socket: { data() {}, error() {} } });
    await Bun.sleep(50);
    s.end();
  }
  await waitFor(() => r.warns().length > 0, 1000);
  expect(r.warns()).toHaveLength(1);
  expect(r.warns()[0]).toMatchObject({
    vs: "front",
    server: "gone",
    reason: "connection refused (ECONNREFUSED)",
  });
  await r.sw.close(0);
  expect(r.warns().at(-1)).toMatchObject({ server: "gone", repeated: 3 });
});

/** A listener whose accept queue is full (python3: a socket with backlog 0 that never accepts). */
async function fullBacklog(): Promise<number | undefined> {
  if (!Bun.which("python3")) return undefined;
  const py =
    "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(30)";
  const p = Bun.spawn(["python3", "-c", py], { stdout: "pipe" });
  cleanup.push(() => p.kill());
  const first = await p.stdout.getReader().read();
  const port = Number(new TextDecoder().decode(first.value).trim());
  // One connection fills the queue; later SYNs are dropped, so connects hang until they time out.
  const filler = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {}, error() {} } });
  cleanup.push(() => {
    filler.end();
  });
  return port;
}

test("a connect timeout is a server fault in the log", async () => {
  const port = await fullBacklog();
  if (port === undefined) {
    console.log("skipped: python3 is not installed (it holds a listener that never accepts)");
    return;
  }
  const r = await faultRig({ stuck: port }, 60_000, { server_connect_timeout: 200 });
  for (let i = 0; i < 3; i++) {
    const x = await exchange(r.port, GET(`/${i}`));
    expect(x.responses[0]?.status).toBe(504);
  }
  expect(r.warns()).toHaveLength(1);
  expect(r.warns()[0]).toMatchObject({
    vs: "front",
    server: "stuck",
    reason: "no connection within server_connect_timeout",
  });
  await r.sw.close(0);
  expect(r.warns().at(-1)).toMatchObject({ server: "stuck", repeated: 2 });
});
