// Stalls in the middle of an exchange: a server that sends its head and then nothing, a server reset
// mid-body, a client that stops reading a large response, a client that stops sending its body, and a
// client that leaves mid-response. Each is cut within its own timeout (server_timeout, client_timeout),
// logged once as a WARN naming the virtual server, server and reason, and never recorded as a clean
// response: the access line carries the termination reason and the metrics count it apart from 2xx.

import { afterEach, expect, test } from "bun:test";
import type { Socket } from "bun";
import { exchange, GET, type Rig, rig, TestBackend } from "./helpers.ts";

let r: Rig | undefined;
afterEach(async () => {
  await r?.stop();
  r = undefined;
});

/** Wait (bounded) until `cond` holds. */
async function until(cond: () => boolean, ms = 3000): Promise<boolean> {
  for (let i = 0; i < ms / 10 && !cond(); i++) await Bun.sleep(10);
  return cond();
}

function parsed(lines: string[]): Array<Record<string, unknown>> {
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

function warns(x: Rig): Array<Record<string, unknown>> {
  return parsed(x.lines).filter((l) => l.level === "warn");
}

function accessLines(x: Rig): Array<Record<string, unknown>> {
  return parsed(x.lines).filter((l) => l.msg === "access");
}

// Long enough that only the timeout under test can end the stall within the test's bounds.
const SLOW = { idle_timeout: 60_000, server_response_timeout: 60_000, client_header_timeout: 60_000 };

test("a server that sends its head then nothing: cut at server_timeout, WARN, not a clean 200", async () => {
  const b = new TestBackend("b1", () => ({
    raw: "HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\nfirst bytes",
  }));
  r = await rig({ web: [b] }, { ...SLOW, server_timeout: 300, access_log: true });
  const t0 = Date.now();
  const x = await exchange(r.port, GET("/stall"), { timeoutMs: 4000 });
  const took = Date.now() - t0;
  expect(x.closed).toBe(true);
  expect(took).toBeLessThan(2500);
  expect(x.raw).toContain("first bytes");
  expect(r.cluster.counters.get("timeout.server")).toBe(1);
  const w = warns(r);
  expect(w.length).toBe(1);
  expect(w[0]).toMatchObject({ vs: "web", pool: "web", server: "b1" });
  expect(String(w[0]?.reason)).toContain("server_timeout");
  const a = accessLines(r);
  expect(a.length).toBe(1);
  expect(a[0]).toMatchObject({ status: 200, term: "server_timeout", server: "b1" });
  expect(r.observed.at(-1)?.cut).toBe("server_timeout");
  // The server is charged with the failure.
  expect(r.cluster.pools.get("web")!.servers[0]!.errors).toBe(1);
});

test("a server that trickles its body within server_timeout is not cut", async () => {
  // Ten pieces 100 ms apart: every piece re-arms the 300 ms server_timeout.
  const pieces = 10;
  const l = Bun.listen<undefined>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data: (s) => {
        s.write(`HTTP/1.1 200 OK\r\ncontent-length: ${pieces}\r\n\r\n`);
        let n = 0;
        const t = setInterval(() => {
          s.write("x");
          if (++n === pieces) clearInterval(t);
        }, 100);
      },
      error: () => {},
    },
  });
  try {
    r = await rigAt(l.port);
    const x = await exchange(r.port, GET("/trickle"), { timeoutMs: 4000 });
    expect(x.responses[0]?.status).toBe(200);
    expect(x.responses[0]?.body).toBe("x".repeat(pieces));
    expect(r.cluster.counters.get("timeout.server")).toBeUndefined();
    expect(warns(r).length).toBe(0);
    expect(accessLines(r)[0]?.term).toBeUndefined();
    expect(r.observed.at(-1)?.cut).toBeUndefined();
  } finally {
    l.stop(true);
  }
});

/** A rig whose one server ("t") is an arbitrary port. */
async function rigAt(port: number, vs: Record<string, unknown> = {}): Promise<Rig> {
  const fake = { name: "t", port, stop: () => {} } as unknown as TestBackend;
  return rig({ web: [fake] }, { ...SLOW, server_timeout: 300, access_log: true, ...vs });
}

test("a server reset mid-body: the client is cut, WARN server_reset, access log says so", async () => {
  const b = new TestBackend("b1", (_h, _body, self) => {
    setTimeout(() => {
      for (const s of self.sockets) s.terminate();
    }, 50);
    return { raw: "HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\npartial" };
  });
  r = await rig({ web: [b] }, { ...SLOW, access_log: true });
  const x = await exchange(r.port, GET("/reset"), { timeoutMs: 4000 });
  expect(x.closed).toBe(true);
  const w = warns(r);
  expect(w.length).toBe(1);
  expect(w[0]).toMatchObject({ vs: "web", server: "b1" });
  expect(String(w[0]?.reason)).toMatch(/connection (reset|closed)/);
  expect(accessLines(r)[0]).toMatchObject({ status: 200, term: "server_reset" });
  expect(r.observed.at(-1)?.cut).toBe("server_reset");
});

/** A server that answers every request with `size` bytes, written as fast as the socket takes them. */
function bigServer(size: number): { port: number; open: () => number; stop: () => void } {
  const piece = Buffer.alloc(64 * 1024, 120);
  let open = 0;
  const pump = (s: Socket<{ left: number }>) => {
    while (s.data.left > 0) {
      const n = s.write(piece, 0, Math.min(piece.length, s.data.left));
      if (n <= 0) return;
      s.data.left -= n;
    }
  };
  const l = Bun.listen<{ left: number }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open: (s) => {
        open++;
        s.data = { left: 0 };
      },
      data: (s) => {
        s.write(`HTTP/1.1 200 OK\r\ncontent-length: ${size}\r\n\r\n`);
        s.data.left = size;
        pump(s);
      },
      drain: (s) => pump(s),
      close: () => {
        open--;
      },
      error: () => {},
    },
  });
  return { port: l.port, open: () => open, stop: () => l.stop(true) };
}

test("a client that stops reading a large response: cut at client_timeout, the server not blamed", async () => {
  const size = 256 * 1024 * 1024;
  const big = bigServer(size);
  try {
    r = await rigAt(big.port, { server_timeout: 60_000, client_timeout: 300 });
    let got = 0;
    let closed = false;
    const sock: Socket<undefined> = await Bun.connect({
      hostname: "127.0.0.1",
      port: r.port,
      socket: {
        data: (_s, d) => {
          got += d.length;
        },
        close: () => {
          closed = true;
        },
        error: () => {},
      },
    });
    sock.write(GET("/big"));
    // Read a little, then stop reading: the kernel's buffers fill and tcpvs cannot write.
    await until(() => got > 0);
    sock.pause();
    const rig1 = r;
    const t0 = Date.now();
    expect(await until(() => rig1.sw.connections("web") === 0, 4000)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(3000);
    sock.resume();
    expect(await until(() => closed)).toBe(true);
    expect(got).toBeLessThan(size);
    expect(r.cluster.counters.get("timeout.client")).toBe(1);
    expect(r.cluster.counters.get("timeout.server")).toBeUndefined();
    const w = warns(r);
    expect(w.length).toBe(1);
    expect(w[0]).toMatchObject({ vs: "web", server: "t", reason: "client_timeout" });
    expect(accessLines(r)[0]).toMatchObject({ status: 200, term: "client_timeout" });
    expect(r.observed.at(-1)?.cut).toBe("client_timeout");
    expect(r.cluster.pools.get("web")!.servers[0]!.errors).toBe(0);
    // The server's connection is let go too.
    expect(await until(() => big.open() === 0)).toBe(true);
  } finally {
    big.stop();
  }
});

test("a client that stalls mid-body: 408 at client_timeout, the server not blamed", async () => {
  const b = new TestBackend("b1");
  r = await rig({ web: [b] }, { ...SLOW, client_timeout: 300, access_log: true });
  const t0 = Date.now();
  const x = await exchange(
    r.port,
    `POST /up HTTP/1.1\r\nHost: t.example\r\nContent-Length: 100000\r\n\r\n${"x".repeat(1000)}`,
    { timeoutMs: 4000 },
  );
  expect(Date.now() - t0).toBeLessThan(2500);
  expect(x.responses[0]?.status).toBe(408);
  expect(x.responses[0]?.body).toContain("client_timeout");
  const rig1 = r;
  expect(await until(() => rig1.sw.connections("web") === 0)).toBe(true);
  expect(r.cluster.counters.get("timeout.client")).toBe(1);
  expect(r.cluster.counters.get("timeout.server_response")).toBeUndefined();
  expect(r.cluster.pools.get("web")!.servers[0]!.errors).toBe(0);
  expect(accessLines(r)[0]).toMatchObject({ status: 408, term: "client_timeout" });
  const w = warns(r);
  expect(w.length).toBe(1);
  expect(w[0]).toMatchObject({ vs: "web", server: "b1", reason: "client_timeout" });
  expect(await until(() => b.sockets.size === 0)).toBe(true);
});

test("a client that leaves mid-response: access log says client_abort, not a clean 200", async () => {
  const b = new TestBackend("b1", () => ({
    raw: "HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\nsome",
  }));
  r = await rig({ web: [b] }, { ...SLOW, access_log: true });
  let raw = "";
  const sock = await Bun.connect({
    hostname: "127.0.0.1",
    port: r.port,
    socket: {
      data: (_s, d) => {
        raw += d.toString("latin1");
      },
      error: () => {},
    },
  });
  sock.write(GET("/leave"));
  expect(await until(() => raw.includes("some"))).toBe(true);
  sock.terminate();
  const rig1 = r;
  expect(await until(() => accessLines(rig1).length === 1)).toBe(true);
  expect(accessLines(r)[0]).toMatchObject({ status: 200, term: "client_abort" });
  expect(r.observed.at(-1)?.cut).toBe("client_abort");
  expect(r.cluster.pools.get("web")!.servers[0]!.errors).toBe(0);
});

test("many cut responses from one server: one WARN line, the rest counted", async () => {
  const b = new TestBackend("b1", () => ({
    raw: "HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\nfirst",
  }));
  r = await rig({ web: [b] }, { ...SLOW, server_timeout: 200 });
  const port = r.port;
  await Promise.all(Array.from({ length: 5 }, () => exchange(port, GET("/s"), { timeoutMs: 4000 })));
  expect(r.cluster.counters.get("timeout.server")).toBe(5);
  expect(warns(r).length).toBe(1);
});
