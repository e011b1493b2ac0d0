// A chunked request is held until its body has been checked to the end (up to 64 KiB): a bad chunk
// that arrives reads after the head is answered with its 4xx and no server sees a byte. Past the bound
// the body streams, and a late error can only cut the server's connection mid-body.

import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { twins } from "../http/twins.ts";
import { exchange, type Rig, rig, TestBackend } from "./helpers.ts";

const HEAD = "POST /up HTTP/1.1\r\nHost: t.example\r\nTransfer-Encoding: chunked\r\n\r\n";

/** Wait (bounded) until `cond` holds. */
async function until(cond: () => boolean, ms = 2000): Promise<boolean> {
  for (let i = 0; i < ms / 10 && !cond(); i++) await Bun.sleep(10);
  return cond();
}

/** Chunks of `size` bytes adding up to at least `total` payload bytes. */
function chunks(total: number, size = 8192): string {
  let s = "";
  for (let n = 0; n < total; n += size) s += `${size.toString(16)}\r\n${"x".repeat(size)}\r\n`;
  return s;
}

describe("a bad chunk in a later read than the head", () => {
  const backend = new TestBackend("b1");
  let r: Rig;

  afterAll(async () => {
    await r.sw.close(0);
    backend.stop();
  });

  const bad: Array<[string, string, string]> = [
    ["bad chunk size", "3\r\nabc\r\nzz\r\n", "bad_chunk_size"],
    ["chunk size overflow", "3\r\nabc\r\nfffffffffffffff\r\n", "chunk_size_overflow"],
    ["data longer than its size", "3\r\nabcd\r\n0\r\n\r\n", "bad_chunk"],
    ["bare LF after the size", "3\nabc\r\n0\r\n\r\n", "bare_lf"],
  ];

  for (const [name, body, code] of bad) {
    test(`${name} -> 400, the server accepted and received nothing`, async () => {
      r ??= await rig({ web: [backend] }, { name: "held" });
      const accepts = backend.accepts;
      const bytes = backend.bytes;
      const x = await exchange(r.port, [HEAD, "5\r\nhello\r\n", body], { gapMs: 60 });
      expect(x.responses[0]?.status).toBe(400);
      expect(x.responses[0]?.body).toContain(code);
      expect(x.closed).toBe(true);
      expect(backend.accepts).toBe(accepts);
      expect(backend.bytes).toBe(bytes);
      expect(r.cluster.counters.get(`reject.${code}`)).toBeGreaterThan(0);
    });
  }

  test("the same with good chunks: forwarded intact, once", async () => {
    r ??= await rig({ web: [backend] }, { name: "held" });
    const reqs = backend.requests.length;
    const x = await exchange(
      r.port,
      [HEAD, "5\r\nhello\r\n", "6;ext=1\r\n world\r\n", "0\r\nX-T: 1\r\n\r\n"],
      {
        gapMs: 60,
      },
    );
    expect(x.responses[0]?.status).toBe(200);
    expect(backend.requests.length).toBe(reqs + 1);
    expect(backend.bodies.at(-1)).toBe("hello world");
    expect(backend.requests.at(-1)?.chunked).toBe(true);
  });

  test("every chunked strictness twin, its body in a second read: no byte reaches the server", async () => {
    r ??= await rig({ web: [backend] }, { name: "held" });
    let tried = 0;
    for (const t of twins) {
      if (t.opts !== undefined) continue; // limits of their own: strict.test.ts covers them
      const at = t.bad.indexOf("\r\n\r\n") + 4;
      if (!/transfer-encoding: chunked\r\n/i.test(t.bad.slice(0, at)) || at === t.bad.length) continue;
      // Only twins whose head is fine: the error must be in the body.
      if (t.bad.slice(0, at) !== t.good.slice(0, t.good.indexOf("\r\n\r\n") + 4)) continue;
      tried++;
      const bytes = backend.bytes;
      const x = await exchange(r.port, [t.bad.slice(0, at), t.bad.slice(at)], { gapMs: 40 });
      expect(`${t.rule}: ${x.responses[0]?.status}`).toBe(`${t.rule}: ${t.status}`);
      expect(`${t.rule}: ${backend.bytes - bytes}`).toBe(`${t.rule}: 0`);
    }
    expect(tried).toBeGreaterThanOrEqual(4);
  });
});

describe("held bodies: the bound, 100-continue, slow and cut-off clients", () => {
  let r: Rig | undefined;
  afterEach(async () => {
    await r?.stop();
    r = undefined;
  });

  test("past 64 KiB the body streams; a late bad chunk cuts the server off mid-body", async () => {
    const b = new TestBackend("big");
    r = await rig({ web: [b] });
    const x = await exchange(r.port, [HEAD + chunks(70 * 1024), "zz\r\n"], { gapMs: 150 });
    expect(x.responses[0]?.status).toBe(400);
    expect(x.responses[0]?.body).toContain("bad_chunk_size");
    expect(r.cluster.counters.get("reject.bad_chunk_size")).toBe(1);
    // The server got the head and the first 64 KiB and more, then lost the connection: no request.
    expect(b.accepts).toBe(1);
    expect(b.bytes).toBeGreaterThan(64 * 1024);
    expect(await until(() => b.sockets.size === 0)).toBe(true);
    expect(b.requests.length).toBe(0);
  });

  test("past 64 KiB with good chunks: the whole body arrives", async () => {
    const b = new TestBackend("big");
    r = await rig({ web: [b] });
    const body = chunks(100 * 1024, 10000);
    const x = await exchange(r.port, [HEAD + body.slice(0, 80 * 1024), `${body.slice(80 * 1024)}0\r\n\r\n`], {
      gapMs: 50,
    });
    expect(x.responses[0]?.status).toBe(200);
    const payload = "x".repeat(Math.ceil((100 * 1024) / 10000) * 10000);
    expect(b.bodies[0]).toBe(payload);
  });

  test("Expect: 100-continue: tcpvs says 100 itself before any server is involved; one 100 only", async () => {
    const b = new TestBackend("cont", () => ({
      raw: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
    }));
    r = await rig({ web: [b] });
    let raw = "";
    const sock = await Bun.connect({
      hostname: "127.0.0.1",
      port: r.port,
      socket: {
        data: (_s, d) => {
          raw += d.toString("latin1");
        },
      },
    });
    sock.write("POST /c HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n");
    expect(await until(() => raw.includes("\r\n\r\n"))).toBe(true);
    expect(raw).toBe("HTTP/1.1 100 Continue\r\n\r\n");
    expect(b.accepts).toBe(0);
    sock.write("4\r\nbody\r\n0\r\n\r\n");
    expect(await until(() => raw.endsWith("ok"))).toBe(true);
    sock.end();
    expect(raw.split("100 Continue").length - 1).toBe(1);
    expect(raw).toContain("HTTP/1.1 200 OK");
    expect(b.bodies).toEqual(["body"]);
  });

  test("no 100 Continue when the body came with the head (the client is not waiting)", async () => {
    const b = new TestBackend("cont");
    r = await rig({ web: [b] });
    const x = await exchange(
      r.port,
      "POST /c HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
    );
    expect(x.responses[0]?.status).toBe(200);
    expect(x.raw).not.toContain("100 Continue");
    expect(b.bodies).toEqual(["hi"]);
  });

  test("a held body arriving too slowly -> 408 under the header timeout; the server saw nothing", async () => {
    const b = new TestBackend("slow");
    r = await rig({ web: [b] }, { client_header_timeout: 200 });
    const x = await exchange(r.port, [HEAD, "3\r\nabc\r\n"], { timeoutMs: 2000 });
    expect(x.responses[0]?.status).toBe(408);
    expect(r.cluster.counters.get("timeout.client_header")).toBe(1);
    expect(b.accepts).toBe(0);
  });

  test("a client that stops sending mid held body -> 400 at once; the server saw nothing", async () => {
    const b = new TestBackend("eof");
    r = await rig({ web: [b] });
    const x = await exchange(r.port, [HEAD, "3\r\nabc\r\n"], { halfClose: true, timeoutMs: 2000 });
    expect(x.responses[0]?.status).toBe(400);
    expect(x.responses[0]?.body).toContain("incomplete_message");
    expect(b.accepts).toBe(0);
  });

  test("a held request pipelined with the next: both answered in order", async () => {
    const b = new TestBackend("pipe");
    r = await rig({ web: [b] });
    const x = await exchange(
      r.port,
      [`${HEAD}3\r\nabc\r\n`, "0\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n"],
      {
        count: 2,
        gapMs: 40,
      },
    );
    expect(x.responses.map((p) => p.status)).toEqual([200, 200]);
    expect(x.responses[1]?.body).toContain("/next");
    expect(b.bodies[0]).toBe("abc");
  });
});
