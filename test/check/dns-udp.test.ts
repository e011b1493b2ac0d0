import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { udp } from "bun";
import { existsSync } from "node:fs";
import { runOneCheck } from "../../core/check/registry.ts";
import { decodeReply, encodeQuery } from "../../core/check/dns-message.ts";
import { checkDefaults } from "../../core/check/types.ts";
import { closedUdpPort, inet } from "./net-helpers.ts";

const sockets: Array<{ close(): void }> = [];
afterAll(() => {
  for (const s of sockets) s.close();
});

/** A UDP server answering each datagram with `answer(datagram)` (nothing when it returns undefined). */
async function udpServer(answer: (d: Uint8Array) => Uint8Array | string | undefined): Promise<number> {
  const s: udp.Socket<"buffer"> = await Bun.udpSocket({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(sock, d, port, addr) {
        const r = answer(new Uint8Array(d));
        if (r !== undefined) sock.send(typeof r === "string" ? Buffer.from(r) : r, port, addr);
      },
    },
  });
  sockets.push(s);
  return s.port;
}

describe("dns message codec", () => {
  test("a query round-trips through the reply decoder's header and question", () => {
    const q = encodeQuery(0xbeef, "www.example.org", 1);
    const r = decodeReply(q);
    expect(r).toEqual({ id: 0xbeef, qr: false, rcode: 0, answers: [] });
    expect(Array.from(encodeQuery(1, ".", 6).subarray(12))).toEqual([0, 0, 6, 0, 1]);
  });
});

describe("dns check against a real dnsmasq", () => {
  let port = 0;
  let proc: ReturnType<typeof Bun.spawn> | undefined;
  beforeAll(async () => {
    if (!existsSync("/usr/sbin/dnsmasq")) return;
    port = await closedUdpPort();
    proc = Bun.spawn(
      [
        "/usr/sbin/dnsmasq",
        "--no-daemon",
        "--conf-file=/dev/null",
        `--port=${port}`,
        "--listen-address=127.0.0.1",
        "--bind-interfaces",
        "--no-resolv",
        "--no-hosts",
        "--address=/example.test/192.0.2.7",
        "--address=/nx.test/",
        `--pid-file=/tmp/tcpvs-dnsmasq-${process.pid}.pid`,
      ],
      { stdio: ["ignore", "ignore", "ignore"] },
    );
    // Wait until it answers (bounded: 10 s; a loaded machine can take seconds to start it, and a
    // closed port answers "refused" at once, so the count, not the timeout, bounds the wait).
    for (let i = 0; i < 200; i++) {
      const r = await runOneCheck(
        checkDefaults({ type: "dns", name: "example.test", record_type: "A", timeout: 100 }),
        inet(port),
      );
      if (r.ok) break;
      await Bun.sleep(50);
    }
  });
  afterAll(async () => {
    proc?.kill("SIGTERM");
    await proc?.exited;
  });

  test("passes on NOERROR with the expected answer", async () => {
    if (!proc) return console.log("skip: /usr/sbin/dnsmasq not installed");
    const check = checkDefaults({
      type: "dns",
      name: "www.example.test",
      record_type: "A",
      expect_answer: "192.0.2.7",
    });
    const r = await runOneCheck(check, inet(port));
    expect(r).toMatchObject({ ok: true, reason: "NOERROR, 1 answer(s)" });
  });

  test("fails when the answer differs", async () => {
    if (!proc) return console.log("skip: /usr/sbin/dnsmasq not installed");
    const check = checkDefaults({
      type: "dns",
      name: "example.test",
      record_type: "A",
      expect_answer: "192.0.2.8",
    });
    expect(await runOneCheck(check, inet(port))).toMatchObject({
      ok: false,
      reason: 'answer "192.0.2.7" is not "192.0.2.8"',
    });
  });

  test("fails with NXDOMAIN", async () => {
    if (!proc) return console.log("skip: /usr/sbin/dnsmasq not installed");
    const check = checkDefaults({ type: "dns", name: "gone.nx.test", record_type: "A" });
    expect(await runOneCheck(check, inet(port))).toMatchObject({ ok: false, reason: "NXDOMAIN" });
  });
});

describe("dns check against test servers", () => {
  test("ignores a reply with the wrong id and reports no reply", async () => {
    const port = await udpServer((q) => {
      const r = new Uint8Array(q);
      r[0] = (r[0]! + 1) & 0xff;
      r[2] = 0x81;
      return r;
    });
    const r = await runOneCheck(checkDefaults({ type: "dns", timeout: 120 }), inet(port));
    expect(r).toMatchObject({ ok: false, reason: "no reply within 120 ms" });
  });

  test("the default query is SOA for the root and passes on a NOERROR reply", async () => {
    let question: number[] = [];
    const port = await udpServer((q) => {
      question = Array.from(q.subarray(12));
      const r = new Uint8Array(q);
      r[2] = 0x81;
      return r;
    });
    expect((await runOneCheck(checkDefaults({ type: "dns" }), inet(port))).ok).toBe(true);
    expect(question).toEqual([0, 0, 6, 0, 1]);
  });

  test("a closed port is refused", async () => {
    const r = await runOneCheck(checkDefaults({ type: "dns" }), inet(await closedUdpPort()));
    expect(r).toMatchObject({ ok: false, reason: "refused" });
  });
});

describe("udp check", () => {
  test("passes when the reply matches", async () => {
    const port = await udpServer((d) => `echo:${new TextDecoder().decode(d)}`);
    const r = await runOneCheck(
      checkDefaults({ type: "udp", send: "ping", expect: "^echo:ping$" }),
      inet(port),
    );
    expect(r).toMatchObject({ ok: true, reason: "reply of 9 bytes" });
  });

  test("fails when the reply does not match", async () => {
    const port = await udpServer(() => "nope");
    const r = await runOneCheck(checkDefaults({ type: "udp", send: "ping", expect: "pong" }), inet(port));
    expect(r).toMatchObject({ ok: false, reason: 'reply "nope" does not match /pong/' });
  });

  test("fails with no reply from a silent server", async () => {
    const port = await udpServer(() => undefined);
    const r = await runOneCheck(checkDefaults({ type: "udp", send: "ping", timeout: 100 }), inet(port));
    expect(r).toMatchObject({ ok: false, reason: "no reply within 100 ms" });
  });

  test("fails with refused on ICMP port unreachable", async () => {
    const r = await runOneCheck(checkDefaults({ type: "udp", send: "ping" }), inet(await closedUdpPort()));
    expect(r).toMatchObject({ ok: false, reason: "refused" });
  });
});
