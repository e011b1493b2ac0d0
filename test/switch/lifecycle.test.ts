// Reload keeps established connections, opens new listeners and retires removed ones; close waits for
// exchanges in flight up to the grace period. Also: PROXY protocol, access log, demo backends, uploads.

import { afterEach, expect, test } from "bun:test";
import { startDemoBackends } from "../../core/switch/demo.ts";
import { exchange, GET, inet, type Rig, rig, TestBackend, vsConfig } from "./helpers.ts";

let r: Rig | undefined;
afterEach(async () => {
  await r?.stop();
  r = undefined;
});

test("reload: new rules apply to the same listener, a new virtual server opens, a removed one drains", async () => {
  const a = new TestBackend("a", (h) => (h.target === "/slow" ? { delayMs: 200 } : undefined));
  const b = new TestBackend("b");
  r = await rig({ web: [a], other: [b] });
  const port = r.port;
  // A slow exchange in flight on the virtual server about to be removed.
  const inflight = exchange(port, GET("/slow"));
  await Bun.sleep(50);
  await r.sw.reload([
    vsConfig({ name: "web2", listen: [inet(0)], rule: [{ path_prefix: "/", pool: "other" }] }),
  ]);
  const done = await inflight;
  expect(done.responses[0]?.body).toBe("hello from a /slow");
  const port2 = r.sw.ports("web2")[0]!;
  expect((await exchange(port2, GET("/x"))).responses[0]?.body).toBe("hello from b /x");
  // The removed listener no longer accepts.
  let refused = false;
  try {
    const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    s.end();
  } catch {
    refused = true;
  }
  expect(refused).toBe(true);
  // Same listener, new rules.
  await r.sw.reload([vsConfig({ name: "web2", listen: [inet(0)], rule: [] })]);
  expect(r.sw.ports("web2")[0]).toBe(port2);
  expect((await exchange(port2, GET("/y"))).responses[0]?.body).toBe("hello from a /y");
});

test("close(grace) lets an exchange in flight finish", async () => {
  const a = new TestBackend("a", () => ({ delayMs: 150 }));
  r = await rig({ web: [a] });
  const inflight = exchange(r.port, GET("/"));
  await Bun.sleep(40);
  await r.sw.close(2000);
  const x = await inflight;
  expect(x.responses[0]?.status).toBe(200);
  expect(x.responses[0]?.headers.connection).toBe("close");
});

test("PROXY protocol v1 and v2 reach the server before the request", async () => {
  for (const v of [1, 2] as const) {
    let first: Buffer | undefined;
    const srv = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data: (s, d) => {
          first ??= Buffer.from(d);
          if (d.includes("\r\n\r\n")) s.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
        },
      },
    });
    const a = new TestBackend("a");
    const rr = await rig({ web: [a] }, { proxy_protocol: v });
    (rr.sw as unknown as { pools: Record<string, { server: Array<{ address: { port: number } }> }> }).pools
      .web!.server[0]!.address.port = srv.port;
    const x = await exchange(rr.port, GET("/") + GET("/again"), { count: 2 });
    expect(x.responses.map((y) => y.body)).toEqual(["ok", "ok"]);
    if (v === 1)
      expect(first!.toString("latin1")).toMatch(
        new RegExp(`^PROXY TCP4 127\\.0\\.0\\.1 127\\.0\\.0\\.1 [0-9]+ ${rr.port}\r\nGET / HTTP/1.1\r\n`),
      );
    else {
      expect([...first!.subarray(0, 12)]).toEqual([
        0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
      ]);
      expect(first![13]).toBe(0x11);
      expect(first!.readUInt16BE(26)).toBe(rr.port);
      expect(first!.subarray(28).toString("latin1")).toStartWith("GET / HTTP/1.1\r\n");
    }
    await rr.stop();
    srv.stop(true);
  }
});

test("access log lines name the request, status and server", async () => {
  const a = new TestBackend("a");
  r = await rig({ web: [a] }, { access_log: true });
  await exchange(r.port, GET("/logged?x=1"));
  const line = r.lines.map((l) => JSON.parse(l)).find((l) => l.msg === "access");
  expect(line).toMatchObject({ method: "GET", uri: "/logged?x=1", status: 200, pool: "web", server: "a" });
});

test("a large upload is relayed intact with backpressure towards the client", async () => {
  const a = new TestBackend("a", (_h, body) => ({
    body: `got ${body.length} ${body.subarray(-5).toString()}`,
  }));
  r = await rig({ web: [a] });
  const size = 8 * 1024 * 1024;
  const body = Buffer.alloc(size, 0x62);
  body.write("END!!", size - 5);
  const x = await exchange(
    r.port,
    [`POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`, body],
    {
      timeoutMs: 10_000,
    },
  );
  expect(x.responses[0]?.body).toBe(`got ${size} END!!`);
});

test("demo backends answer hello from backend N", async () => {
  const d = startDemoBackends(2);
  try {
    const one = await exchange(d.ports[0]!, GET("/"));
    const two = await exchange(d.ports[1]!, GET("/"));
    expect(one.responses[0]?.body).toBe("hello from backend 1\n");
    expect(two.responses[0]?.body).toBe("hello from backend 2\n");
  } finally {
    d.stop();
  }
});
