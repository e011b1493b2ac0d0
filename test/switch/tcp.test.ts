// TCP mode: bytes relayed both ways, a client's half-close reaches the server while the server can
// still answer, retry when a server refuses, idle timeout.

import { afterEach, expect, test } from "bun:test";
import { Cluster, PoolState, ServerState } from "../../core/state/cluster.ts";
import { Switch } from "../../core/switch/switch.ts";
import { memoryLogger } from "../../core/log/logger.ts";
import { poolConfig, roundRobin, vsConfig } from "./helpers.ts";

/** Echoes upper-cased; on the client's FIN writes "BYE" and closes. */
function echoServer() {
  let accepts = 0;
  const l = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    allowHalfOpen: true,
    socket: {
      open: () => {
        accepts++;
      },
      data: (s, d) => {
        s.write(d.toString().toUpperCase());
      },
      end: (s) => {
        s.end("BYE");
      },
    },
  });
  return { port: l.port, stop: () => l.stop(true), accepts: () => accepts };
}

let cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

async function tcpRig(ports: number[], over = {}) {
  const cluster = new Cluster();
  const servers = ports.map((p, i) => new ServerState("tcp", `s${i}`, `127.0.0.1:${p}`, 1));
  const pool = new PoolState("tcp", servers);
  cluster.pools.set("tcp", pool);
  const sched = roundRobin(pool);
  const sw = new Switch({
    cluster,
    schedulerFor: () => sched,
    log: memoryLogger().logger,
    pools: {
      tcp: poolConfig(
        "tcp",
        ports.map((port, i) => ({ id: `s${i}`, port })),
      ),
    },
    tickMs: 20,
  });
  await sw.listen(vsConfig({ name: "t", mode: "tcp", pool: "tcp", ...over }));
  cleanup.push(() => sw.close(0));
  return { sw, cluster, port: sw.ports("t")[0]!, servers };
}

async function talk(port: number, send: string, halfClose: boolean, waitMs = 2000) {
  let got = "";
  let closed = false;
  const done = Promise.withResolvers<void>();
  const s = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    allowHalfOpen: true,
    socket: {
      data: (_s, d) => {
        got += d.toString();
      },
      end: (sock) => {
        closed = true;
        sock.end();
        done.resolve();
      },
      close: () => {
        closed = true;
        done.resolve();
      },
    },
  });
  s.write(send);
  await Bun.sleep(50);
  if (halfClose) s.shutdown();
  await Promise.race([done.promise, Bun.sleep(waitMs)]);
  s.end();
  return { got, closed };
}

test("relays both ways and passes the client's half-close to the server", async () => {
  const e = echoServer();
  cleanup.push(e.stop);
  const r = await tcpRig([e.port]);
  const x = await talk(r.port, "hello", true);
  expect(x.got).toBe("HELLOBYE");
  expect(x.closed).toBe(true);
  expect(r.servers[0]!.totalConnections).toBe(1);
  await Bun.sleep(30);
  expect(r.servers[0]!.active).toBe(0);
});

test("retries another server when one refuses", async () => {
  const dead = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const deadPort = dead.port;
  dead.stop(true);
  const e = echoServer();
  cleanup.push(e.stop);
  const r = await tcpRig([deadPort, e.port]);
  const x = await talk(r.port, "abc", true);
  expect(x.got).toBe("ABCBYE");
  expect(r.cluster.counters.get("retry")).toBe(1);
  expect(r.servers[0]!.errors).toBe(1);
});

test("an idle relay is cut after idle_timeout", async () => {
  const e = echoServer();
  cleanup.push(e.stop);
  const r = await tcpRig([e.port], { idle_timeout: 150 });
  const x = await talk(r.port, "x", false, 2000);
  expect(x.got).toBe("X");
  expect(x.closed).toBe(true);
  expect(r.cluster.counters.get("timeout.idle")).toBe(1);
});
