// Near a connection limit, the oldest idle keep-alive connections are closed to admit new ones, so an
// idle flood cannot lock new clients out (issue 14, item 5).

import { afterEach, expect, test } from "bun:test";
import type { Socket } from "bun";
import { REAP_MIN_IDLE_MS } from "../../core/switch/conn-ceiling.ts";
import { exchange, GET, type Rig, rig, TestBackend } from "./helpers.ts";

let r: Rig | undefined;
const held: Socket<undefined>[] = [];
afterEach(async () => {
  for (const s of held.splice(0)) s.end();
  await r?.stop();
  r = undefined;
});

/** A keep-alive client that makes one request and then stays connected, saying nothing. */
async function idleClient(port: number): Promise<{ sock: Socket<undefined>; closed: () => boolean }> {
  let got = "";
  let closed = false;
  const sock = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data: (_s, d) => {
        got += d.toString("latin1");
      },
      close: () => {
        closed = true;
      },
      error: () => {},
    },
  });
  held.push(sock);
  sock.write(GET("/idle"));
  for (let i = 0; i < 100 && !got.includes("hello from"); i++) await Bun.sleep(10);
  expect(got).toStartWith("HTTP/1.1 200");
  return { sock, closed: () => closed };
}

test("idle keep-alive clients filling max_connections: new requests all succeed, the oldest idle go", async () => {
  const a = new TestBackend("a");
  const MAX = 20;
  r = await rig({ web: [a] }, { max_connections: MAX, client_keepalive_timeout: 60_000 });
  const idle = [];
  for (let i = 0; i < MAX; i++) idle.push(await idleClient(r.port));
  // Only connections idle for a second or more give way (a busy keep-alive client is left alone).
  await Bun.sleep(REAP_MIN_IDLE_MS + 100);
  expect(r.sw.connections("web")).toBeLessThanOrEqual(MAX);
  // 40 new clients, 10 at a time: each must be served, none refused or left waiting.
  const statuses: number[] = [];
  for (let round = 0; round < 4; round++) {
    const xs = await Promise.all(
      Array.from({ length: 10 }, () => exchange(r!.port, GET("/new"), { timeoutMs: 3000 })),
    );
    for (const x of xs) statuses.push(x.responses[0]?.status ?? 0);
  }
  expect(statuses).toEqual(Array(40).fill(200));
  expect(r.cluster.counters.get("reject.max_connections")).toBeUndefined();
  expect(r.cluster.counters.get("close.idle_reaped") ?? 0).toBeGreaterThan(0);
  // The ones closed were the oldest: the first idle client went before the last one.
  await Bun.sleep(50);
  expect(idle[0]!.closed()).toBe(true);
  expect(r.sw.connections("web")).toBeLessThanOrEqual(MAX);
});

test("a connection mid-request is never closed to make room; the newcomer waits for a free slot", async () => {
  const a = new TestBackend("a");
  r = await rig({ web: [a] }, { max_connections: 2 });
  const busy: Socket<undefined>[] = [];
  for (let i = 0; i < 2; i++) {
    const s = await Bun.connect({ hostname: "127.0.0.1", port: r.port, socket: { data() {} } });
    s.write("GET / HTTP/1.1\r\n");
    busy.push(s);
    held.push(s);
  }
  await Bun.sleep(50);
  let answered = false;
  const pending = exchange(r.port, GET("/"), { timeoutMs: 3000 }).then((x) => {
    answered = true;
    return x;
  });
  await Bun.sleep(300);
  expect(answered).toBe(false);
  expect(r.cluster.counters.get("close.idle_reaped")).toBeUndefined();
  busy[0]!.end();
  const x = await pending;
  expect(x.responses[0]?.status).toBe(200);
});

test("the global ceiling works the same way: idle connections give way to new ones", async () => {
  const a = new TestBackend("a");
  r = await rig({ web: [a] }, { max_connections: 1000, client_keepalive_timeout: 60_000 });
  r.sw.setCeiling(10);
  const idle = [];
  for (let i = 0; i < 10; i++) idle.push(await idleClient(r.port));
  await Bun.sleep(REAP_MIN_IDLE_MS + 100);
  const xs = await Promise.all(
    Array.from({ length: 20 }, () => exchange(r!.port, GET("/new"), { timeoutMs: 3000 })),
  );
  expect(xs.map((x) => x.responses[0]?.status)).toEqual(Array(20).fill(200));
  expect(r.cluster.counters.get("close.idle_reaped") ?? 0).toBeGreaterThan(0);
  expect(r.sw.ceiling.live).toBeLessThanOrEqual(10);
});

test("an idle keep-alive connection holds none of its last request's bytes", async () => {
  const a = new TestBackend("a");
  r = await rig({ web: [a] }, { client_keepalive_timeout: 60_000 });
  const body = "x".repeat(60_000);
  let got = "";
  const sock = await Bun.connect({
    hostname: "127.0.0.1",
    port: r.port,
    socket: {
      data: (_s, d) => {
        got += d.toString("latin1");
      },
    },
  });
  held.push(sock);
  sock.write(`POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  for (let i = 0; i < 200 && !got.includes("hello from"); i++) await Bun.sleep(10);
  expect(got).toStartWith("HTTP/1.1 200");
  const rt = (
    r.sw as unknown as { bound: Map<string, { rt: { conns: Set<{ kept: { count: number } }> } }> }
  ).bound.get("web")!.rt;
  const conn = [...rt.conns][0]!;
  expect(conn.kept.count).toBe(0);
});
