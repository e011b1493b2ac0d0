// A connection whose first bytes cannot begin an HTTP request (a TLS ClientHello on a plain port, a
// binary protocol) is answered 400 at once and closed, not left to the client header timeout (408).
// Empty lines before a request stay allowed (RFC 9112 section 2.2).

import { afterEach, expect, test } from "bun:test";
import { exchange, GET, type Rig, rig, TestBackend } from "./helpers.ts";

let r: Rig | undefined;
afterEach(async () => {
  await r?.stop();
  r = undefined;
});

// The first bytes of a TLS 1.2/1.3 ClientHello record: handshake (0x16), version 3.1, length.
const CLIENT_HELLO = Uint8Array.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03]);

test("a TLS ClientHello on a plain HTTP port gets 400 at once, well before client_header_timeout", async () => {
  const a = new TestBackend("a");
  // A long header timeout: a 408 would come after 4 s, past the exchange's 2 s bound.
  r = await rig({ web: [a] }, { client_header_timeout: 4000 });
  const t0 = performance.now();
  // count 2: wait for the close after the answer (or the 2 s bound).
  const x = await exchange(r.port, CLIENT_HELLO, { count: 2, timeoutMs: 2000 });
  expect(x.responses[0]?.status).toBe(400);
  expect(x.responses[0]?.body).toBe("400 Bad Request: bad_method\n");
  expect(x.closed).toBe(true);
  expect(performance.now() - t0).toBeLessThan(2000);
  expect(r.cluster.counters.get("reject.bad_method")).toBe(1);
  expect(a.bytes).toBe(0);
});

test("any first byte that is not a method's tchar gets 400 at once", async () => {
  const a = new TestBackend("a");
  r = await rig({ web: [a] }, { client_header_timeout: 4000 });
  for (const first of [[0x00], [0x80, 0x01], [0x7b, 0x22], [0x20], [0x16]]) {
    const x = await exchange(r.port, Uint8Array.from(first), { timeoutMs: 2000 });
    expect(x.responses[0]?.status).toBe(400);
  }
  expect(a.bytes).toBe(0);
});

test("a method cut by a bad byte before its space gets 400 at once", async () => {
  const a = new TestBackend("a");
  r = await rig({ web: [a] }, { client_header_timeout: 4000 });
  const x = await exchange(r.port, "GE\u0001", { timeoutMs: 2000 });
  expect(x.responses[0]?.status).toBe(400);
});

test("empty lines before a request and a method arriving a byte at a time are still served", async () => {
  const a = new TestBackend("a");
  r = await rig({ web: [a] }, { client_header_timeout: 4000 });
  const x = await exchange(r.port, ["\r", "\n\r\n", "G", "E", GET("/ok").slice(2)], { timeoutMs: 2000 });
  expect(x.responses[0]?.status).toBe(200);
  expect(x.responses[0]?.body).toBe("hello from a /ok");
});
