// Where the time of one proxied request goes, part 1: the switch's own JavaScript, without sockets.
// One client connection and two pooled server connections on stand-in sockets whose write() takes
// everything; each round feeds a wrk-style request and an nginx-style response through the real
// parser, router, scheduler, rewrite and relay code. What `tcpvs serve` spends per request beyond this
// is Bun's socket layer and the kernel (bench/switch.ts prints the user/kernel split). The heads repeat,
// as wrk's and nginx's do, so the parser decodes each once, except in the last case, where none does.
// The fourth case runs the path as a data-path worker does (`workers` > 1: counters in shared memory,
// rr under the pool lock, responses and latencies into a MetricsBatch); its difference from the
// second (the defaults) is what a worker pays per request that `workers = 1` does not.
// Usage: bun bench/switch-path.ts [requests per round=200000] [case index: one case in this process]

import { poolConfig, vsConfig } from "../test/switch/helpers.ts";
import { memoryLogger } from "../core/log/logger.ts";
import { MetricsBatch } from "../core/metrics/metrics-batch.ts";
import { MetricsRegistry } from "../core/metrics/metrics-registry.ts";
import { createPoolScheduling } from "../core/sched/registry.ts";
import { SharedCounts, serverKey } from "../core/sched/shared-counts.ts";
import { sharedParts } from "../core/sched/shared-sched.ts";
import { bindWorkerServer } from "../core/state/shared-server.ts";
import { Cluster, PoolState, ServerState } from "../core/state/cluster.ts";
import { ClientConn } from "../core/switch/client-conn.ts";
import { VsRuntime } from "../core/switch/runtime.ts";
import { Switch } from "../core/switch/switch.ts";
import { ServerConn } from "../core/switch/upstream.ts";

const perRound = Number(process.argv[2] ?? 200_000);

function standInSocket(): unknown {
  return {
    remoteAddress: "127.0.0.1",
    remotePort: 40000,
    localAddress: "127.0.0.1",
    localPort: 8080,
    data: undefined,
    write(b: Uint8Array | string, _off?: number, len?: number) {
      return typeof b === "string" ? b.length : (len ?? b.byteLength);
    },
    setNoDelay() {},
    pause() {},
    resume() {},
    end() {},
    terminate() {},
    shutdown() {},
  };
}

/** The day-one work of issue 18: 50 rules tried before the default, a limit by source, a response header. */
const RULES_50 = {
  rule: Array.from({ length: 50 }, (_, i) => ({ path_prefix: `/r${i}/`, pool: "web" })),
  limit: [{ key: "source", rate: { count: 1_000_000_000, ms: 1000 }, burst: 0, max_keys: 100_000 }],
  set_response_header: [["Strict-Transport-Security", "max-age=31536000"]] as Array<[string, string]>,
};

function setup(
  xff: boolean,
  rules = false,
  worker = false,
  varied = false,
): { one: () => void; answered: () => number } {
  const cluster = new Cluster();
  const servers = [1, 2].map((i) => new ServerState("web", `n${i}`, `127.0.0.1:${i}`, 1));
  const pool = new PoolState("web", servers);
  cluster.pools.set("web", pool);
  const pc = poolConfig("web", [
    { id: "n1", port: 1 },
    { id: "n2", port: 2 },
  ]);
  let parts: ReturnType<typeof sharedParts> | undefined;
  if (worker) {
    const c = SharedCounts.create({ maxServers: 4096, maxVs: 256, maxPools: 256, maxWorkers: 2 });
    c.assign("pools", "web");
    for (const s of servers) bindWorkerServer(c, 1, s, c.assign("servers", serverKey("web", s.id)));
    parts = sharedParts(c, "web");
  }
  const sched = createPoolScheduling(pc, pool.servers, undefined, parts);
  // What SwitchService.observe does: the registry with one worker, a batch in a data-path worker.
  const metrics = worker ? new MetricsBatch() : new MetricsRegistry({ cluster });
  const responses = metrics.responses("vs", "web");
  const latency = metrics.poolLatency("web");
  let answered = 0;
  const sw = new Switch({
    cluster,
    schedulerFor: () => sched.scheduler,
    log: memoryLogger("warn").logger,
    pools: { web: pc },
    observe: (_vs, _pool, status, seconds, cut) => {
      answered++;
      responses.inc(status, cut !== undefined);
      latency.observe(seconds);
    },
  });
  const cfg = vsConfig(
    rules
      ? { ...RULES_50, x_forwarded_for: xff }
      : { rule: [{ path_prefix: "/never/", pool: "web" }], x_forwarded_for: xff },
  );
  const rt = new VsRuntime(cfg, sw);
  const conns = servers.map((s) => {
    const u = sw.upstream("web", s);
    const c = new ServerConn(u);
    c.target = u.endpoint.text;
    c.onOpen(standInSocket() as never);
    u.release(c);
    return c;
  });
  const client = new ClientConn(rt, standInSocket() as never);
  // The same exchange again and again, as wrk and nginx send it (the parser then decodes each head
  // once); or, varied, 1,024 numbered ones in turn, so that no head repeats the one before.
  const n = varied ? 1024 : 1;
  const reqs = Array.from({ length: n }, (_, i) =>
    Buffer.from(`GET /${varied ? `?n=${i}` : ""} HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n`),
  );
  const ress = Array.from({ length: n }, (_, i) =>
    Buffer.from(
      "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Wed, 25 Nov 2026 18:00:00 GMT\r\n" +
        `Content-Type: application/octet-stream\r\nContent-Length: 6\r\nConnection: keep-alive\r\n${varied ? `X-N: ${i}\r\n` : ""}\r\nhello\n`,
    ),
  );
  let k = 0;
  return {
    // Fresh buffers each time, as Bun hands them to the data handlers. rr alternates the servers.
    one: () => {
      const i = k++;
      client.onData(Buffer.from(reqs[i % n]!));
      conns[i & 1]!.onData(Buffer.from(ress[i % n]!));
    },
    answered: () => answered,
  };
}

const cases: Array<[boolean, boolean, string, boolean?, boolean?]> = [
  [false, false, "X-Forwarded-Proto only"],
  [true, false, "X-Forwarded-For and -Proto added (the defaults)"],
  [true, true, "the defaults + 50 rules, a limit and a response header"],
  [true, false, "the defaults, as a data-path worker (workers > 1)", true],
  [true, false, "the defaults, every head new (each one decoded)", false, true],
];

function measure(xff: boolean, rules: boolean, label: string, worker = false, varied = false): void {
  const { one, answered } = setup(xff, rules, worker, varied);
  for (let i = 0; i < perRound; i++) one();
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 7; r++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < perRound; i++) one();
    const t = process.cpuUsage(t0);
    best = Math.min(best, ((t.user + t.system) * 1000) / perRound);
  }
  if (answered() !== perRound * 8) throw new Error(`Expected ${perRound * 8} answers, got ${answered()}`);
  console.log(
    `switch JS path, ${label}: ${best.toFixed(0)} ns per request (best of 7 rounds of ${perRound})`,
  );
}

// Each case in a process of its own: a second setup in the same process runs slower (call sites
// the first one made monomorphic see new shapes), which would be charged to the case, not the code.
const which = process.argv[3];
if (which !== undefined) measure(...cases[Number(which)]!);
else
  for (let i = 0; i < cases.length; i++) {
    const p = Bun.spawn([process.execPath, import.meta.path, String(perRound), String(i)], {
      stdout: "inherit",
      stderr: "inherit",
    });
    if ((await p.exited) !== 0) throw new Error(`Cannot measure case ${i}: exit ${p.exitCode}`);
  }
