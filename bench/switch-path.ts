// Where the time of one proxied request goes, part 1: the switch's own JavaScript, without sockets.
// One client connection and two pooled server connections on stand-in sockets whose write() takes
// everything; each round feeds a wrk-style request and an nginx-style response through the real
// parser, router, scheduler, rewrite and relay code. What `tcpvs serve` spends per request beyond this
// is Bun's socket layer and the kernel (bench/switch.ts prints the user/kernel split).
// Usage: bun bench/switch-path.ts [requests per round=200000]

import { poolConfig, vsConfig } from "../test/switch/helpers.ts";
import { memoryLogger } from "../core/log/logger.ts";
import { createPoolScheduling } from "../core/sched/registry.ts";
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

function setup(xff: boolean): { one: () => void; answered: () => number } {
  const cluster = new Cluster();
  const servers = [1, 2].map((i) => new ServerState("web", `n${i}`, `127.0.0.1:${i}`, 1));
  const pool = new PoolState("web", servers);
  cluster.pools.set("web", pool);
  const pc = poolConfig("web", [
    { id: "n1", port: 1 },
    { id: "n2", port: 2 },
  ]);
  const sched = createPoolScheduling(pc, pool.servers);
  let answered = 0;
  const sw = new Switch({
    cluster,
    schedulerFor: () => sched.scheduler,
    log: memoryLogger("warn").logger,
    pools: { web: pc },
    observe: () => {
      answered++;
    },
  });
  const cfg = vsConfig({ rule: [{ path_prefix: "/never/", pool: "web" }], x_forwarded_for: xff });
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
  const req = Buffer.from("GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n");
  const res = Buffer.from(
    "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Wed, 25 Nov 2026 18:00:00 GMT\r\n" +
      "Content-Type: application/octet-stream\r\nContent-Length: 6\r\nConnection: keep-alive\r\n\r\nhello\n",
  );
  let k = 0;
  return {
    // Fresh buffers each time, as Bun hands them to the data handlers. rr alternates the servers.
    one: () => {
      client.onData(Buffer.from(req));
      conns[k++ & 1]!.onData(Buffer.from(res));
    },
    answered: () => answered,
  };
}

for (const xff of [false, true]) {
  const { one, answered } = setup(xff);
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
    `switch JS path, ${xff ? "X-Forwarded-For and -Proto added (the defaults)" : "X-Forwarded-Proto only"}: ${best.toFixed(0)} ns per request (best of 7 rounds of ${perRound})`,
  );
}
