// Bytes held before forwarding, through a real listener with a small [global] max_held_bytes: clients
// past the budget are not read (their bytes stay in the kernel's receive queues), nothing reaches a
// server, and they proceed in turn as held bodies complete; the figure is back to 0 however a held
// request ends (forwarded, closed, timed out, refused). The budget alone: held-budget.test.ts.

import { afterEach, describe, expect, test } from "bun:test";
import type { Socket } from "bun";
import { haveTool } from "../tools.ts";
import { exchange, type Rig, rig, TestBackend } from "./helpers.ts";

const KiB = 1024;
const HEAD = "POST /up HTTP/1.1\r\nHost: t.example\r\nTransfer-Encoding: chunked\r\n\r\n";

/** Wait (bounded) until `cond` holds. */
async function until(cond: () => boolean, ms = 4000): Promise<boolean> {
  for (let i = 0; i < ms / 10 && !cond(); i++) await Bun.sleep(10);
  return cond();
}

/** Chunks of 8 KiB adding up to `total` payload bytes. */
function chunks(total: number): string {
  let s = "";
  for (let n = 0; n < total; n += 8 * KiB) s += `2000\r\n${"x".repeat(8 * KiB)}\r\n`;
  return s;
}

/** Bytes the kernel holds unread on tcpvs's side of its client connections (Recv-Q). */
function unreadInKernel(port: number): number | undefined {
  if (!haveTool("ss")) return undefined;
  const p = Bun.spawnSync(["ss", "-tnH", "state", "established", `sport = :${port}`]);
  if (p.exitCode !== 0) return undefined;
  let n = 0;
  for (const line of p.stdout.toString().split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 2) n += Number(f[0]) || 0;
  }
  return n;
}

interface Client {
  sock: Socket<undefined>;
  raw: () => string;
}

async function client(port: number, first: string): Promise<Client> {
  let raw = "";
  const sock = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data: (_s, d) => {
        raw += d.toString("latin1");
      },
      error: () => {},
    },
  });
  expect(sock.write(first)).toBe(first.length);
  return { sock, raw: () => raw };
}

describe("through a real listener", () => {
  let r: Rig | undefined;
  afterEach(async () => {
    await r?.stop();
    r = undefined;
  });

  test("clients past the budget are not read until held bodies complete; then all go through", async () => {
    const max = 200 * KiB;
    const body = 48 * KiB;
    const n = 10;
    const b = new TestBackend("b1");
    r = await rig({ web: [b] }, { client_header_timeout: 20_000 }, {}, { maxHeldBytes: max });
    const first = HEAD + chunks(body);
    let biggestRead = first.length;
    const cs: Client[] = [];
    for (let i = 0; i < n; i++) {
      cs.push(await client(r.port, first));
      // One at a time, so the order of waiting is the order of connecting.
      await Bun.sleep(30);
    }
    // Seen from outside first: the clients past the budget were not read, their bytes are still in the
    // kernel's receive queues (the ones within it, up to one read past it, were read and are held).
    const readAtMost = Math.ceil(max / first.length) + 1;
    const port = r.port;
    const unread = () => unreadInKernel(port);
    if (unread() === undefined)
      console.log("skipping the kernel-queue check: ss (iproute2) is not installed");
    else {
      await until(() => unread()! >= (n - readAtMost) * first.length, 2000);
      expect(unread()).toBeGreaterThanOrEqual((n - readAtMost) * first.length);
    }
    expect(b.accepts).toBe(0);
    // The budget's own figures: spent by at most the read that crossed it, the rest waiting.
    const held = r.sw.held;
    expect(held.spent).toBe(true);
    expect(held.peak).toBeLessThanOrEqual(max + biggestRead);
    expect(held.used).toBeLessThan(n * body);
    expect(held.waitingCount).toBeGreaterThanOrEqual(n - readAtMost);
    // Every byte sent is either held (counted) or still in the kernel, unread (a few header bytes apart).
    const u = unread();
    if (u !== undefined) expect(u + held.used).toBeGreaterThanOrEqual(n * first.length - n * 256);
    expect(r.cluster.counters.get("held.spent")).toBeGreaterThanOrEqual(1);
    // Every client finishes its body: the ones read go first, the waiters follow as bytes free up.
    for (const c of cs) c.sock.write("0\r\n\r\n");
    biggestRead = Math.max(biggestRead, first.length + 5);
    expect(await until(() => cs.every((c) => c.raw().includes("HTTP/1.1 200")), 8000)).toBe(true);
    expect(b.bodies.length).toBe(n);
    expect(b.bodies.every((x) => x.length === Math.ceil(body / (8 * KiB)) * 8 * KiB)).toBe(true);
    expect(held.peak).toBeLessThanOrEqual(max + biggestRead);
    for (const c of cs) c.sock.end();
    const rr = r;
    expect(await until(() => rr.sw.connections("web") === 0)).toBe(true);
    expect([held.used, held.waitingCount]).toEqual([0, 0]);
  });

  test("bytes held are freed when the request is forwarded, the client closes, times out or errs", async () => {
    const b = new TestBackend("b1");
    r = await rig({ web: [b] }, { client_header_timeout: 400 }, {}, { maxHeldBytes: 1024 * KiB });
    const held = r.sw.held;
    const port = r.port;
    // Forwarded: held while incomplete, 0 once it went to the server.
    const fwd = await client(port, HEAD + chunks(16 * KiB));
    expect(await until(() => held.used >= 16 * KiB)).toBe(true);
    fwd.sock.write("0\r\n\r\n");
    expect(await until(() => fwd.raw().includes("200 OK"))).toBe(true);
    expect(held.used).toBe(0);
    fwd.sock.end();
    // Closed by the client mid-body.
    const gone = await client(port, HEAD + chunks(16 * KiB));
    expect(await until(() => held.used >= 16 * KiB)).toBe(true);
    gone.sock.terminate();
    expect(await until(() => held.used === 0)).toBe(true);
    // A partial head, then the client leaves.
    const part = await client(port, "POST /up HTTP/1.1\r\nHost: t.ex");
    expect(await until(() => held.used > 0)).toBe(true);
    part.sock.terminate();
    expect(await until(() => held.used === 0)).toBe(true);
    // Timed out: 408 under client_header_timeout, nothing held after.
    const slow = await client(port, HEAD + chunks(16 * KiB));
    expect(await until(() => slow.raw().includes("408"))).toBe(true);
    expect(held.used).toBe(0);
    slow.sock.end();
    // A bad chunk: 400, nothing held after, no byte to the server.
    const x = await exchange(port, [HEAD + chunks(16 * KiB), "zz\r\n"], { gapMs: 50 });
    expect(x.responses[0]?.status).toBe(400);
    expect(await until(() => held.used === 0)).toBe(true);
    expect(b.requests.length).toBe(1);
    expect(held.peak).toBeGreaterThanOrEqual(16 * KiB);
  });

  test("an idle keep-alive client kept unread by a spent budget is not timed out for it", async () => {
    const b = new TestBackend("b1");
    r = await rig(
      { web: [b] },
      { client_keepalive_timeout: 300, client_header_timeout: 5000 },
      {},
      { maxHeldBytes: 32 * KiB },
    );
    const port = r.port;
    const held = r.sw.held;
    // A keep-alive client done with its first request.
    const ka = await client(port, "GET /one HTTP/1.1\r\nHost: t.example\r\n\r\n");
    expect(await until(() => ka.raw().includes("/one"))).toBe(true);
    // Another client spends the budget with a held body.
    const hog = await client(port, HEAD + chunks(40 * KiB));
    expect(await until(() => held.spent)).toBe(true);
    // The keep-alive client sends its next request: it stays in the kernel, and the connection
    // outlives client_keepalive_timeout (300 ms) while tcpvs is the one not reading.
    ka.sock.write("GET /two HTTP/1.1\r\nHost: t.example\r\n\r\n");
    await Bun.sleep(700);
    expect(ka.raw()).not.toContain("/two");
    expect(r.cluster.counters.get("timeout.client_keepalive")).toBeUndefined();
    // The held body completes: the budget frees, the waiting request is read and answered.
    hog.sock.write("0\r\n\r\n");
    expect(await until(() => ka.raw().includes("/two"))).toBe(true);
    expect(await until(() => hog.raw().includes("200 OK"))).toBe(true);
    ka.sock.end();
    hog.sock.end();
    const rr = r;
    expect(await until(() => rr.sw.connections("web") === 0)).toBe(true);
    expect(held.used).toBe(0);
  });
});
