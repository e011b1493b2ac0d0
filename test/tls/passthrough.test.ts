// TCP mode and TLS: SNI passthrough (rules with sni, no [virtual_server.tls]) routes by the ClientHello's
// server name to two TLS servers and relays every byte unchanged; a client that is not TLS, or whose
// ClientHello does not arrive within client_header_timeout, goes to the default pool; TCP mode with
// [virtual_server.tls] terminates TLS and relays the plain bytes (stunnel).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import type { TCPSocketListener } from "bun";
import { rig, TestBackend } from "../switch/helpers.ts";
import { missingTools } from "../tools.ts";
import { CertDir } from "./certs.ts";
import { clientHello } from "./hello.ts";
import { TlsBackend } from "./tls-backend.ts";
import { req, TlsClient } from "./tls-client.ts";

const skip = missingTools("TLS passthrough tests", "openssl");

/** A TCP server that records every byte it receives, per connection. */
class Recorder {
  readonly conns: Buffer[][] = [];
  private readonly l: TCPSocketListener<number>;
  constructor() {
    this.l = Bun.listen<number>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open: (s) => {
          s.data = this.conns.push([]) - 1;
        },
        data: (s, d) => {
          this.conns[s.data]!.push(Buffer.from(d));
        },
      },
    });
  }
  get port(): number {
    return this.l.port;
  }
  stop(): void {
    this.l.stop(true);
  }
}

/** A TestBackend standing for another server (the rig builds pools of TestBackends by port). */
function standIn(name: string, port: number): TestBackend {
  const t = new TestBackend(name);
  t.stop();
  Object.defineProperty(t, "port", { get: () => port });
  return t;
}

async function send(port: number, parts: Buffer[], waitMs = 150): Promise<string> {
  let got = "";
  const s = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data: (_s, d) => {
        got += d.toString("latin1");
      },
    },
  });
  for (const p of parts) {
    s.write(p);
    await Bun.sleep(10);
  }
  await Bun.sleep(waitMs);
  s.end();
  return got;
}

describe.skipIf(skip !== undefined)("SNI passthrough in TCP mode", () => {
  let certs: CertDir;
  let ca: string;
  const read = (f: string) => readFileSync(certs.path(f), "utf8");

  beforeAll(() => {
    certs = new CertDir();
    ca = certs.ca("ca").pem;
    certs.leaf("one", ["one.test"], "ca");
    certs.leaf("two", ["two.test", "*.two.test"], "ca");
  });

  afterAll(() => certs?.remove());

  test("routes by server name to two TLS servers: each client's handshake is with its own server", async () => {
    const one = new TlsBackend("one", { cert: read("one.crt"), key: read("one.key") });
    const two = new TlsBackend("two", { cert: read("two.crt"), key: read("two.key") });
    const plain = new TestBackend("plain");
    const r = await rig(
      { plain: [plain], one: [standIn("one", one.port)], two: [standIn("two", two.port)] },
      {
        mode: "tcp",
        pool: "plain",
        rule: [
          { sni: ["one.test"], pool: "one" },
          { sni: ["*.two.test", "two.test"], pool: "two" },
        ],
      },
    );
    try {
      for (const [sni, who] of [
        ["one.test", "one"],
        ["two.test", "two"],
        ["www.two.test", "two"],
      ]) {
        const c = await new TlsClient().connect(r.port, { serverName: sni, ca });
        expect(c.handshakeError).toBeUndefined();
        const res = await c.request(req(sni!, "/p"));
        // The server's own answer, with the SNI it saw: end-to-end TLS through tcpvs.
        expect(res?.body).toBe(`${who} /p client=`);
        c.close();
      }
      expect(one.requests.map((x) => x.sni)).toEqual(["one.test"]);
      expect(two.requests.map((x) => x.sni)).toEqual(["two.test", "www.two.test"]);
      expect(r.cluster.counters.get("tls.sni.routed")).toBe(3);
    } finally {
      await r.stop();
      one.stop();
      two.stop();
    }
  });

  test("every byte is relayed unchanged, the ClientHello (split over reads and records) included", async () => {
    const recA = new Recorder();
    const recB = new Recorder();
    const r = await rig(
      { a: [standIn("a", recA.port)], b: [standIn("b", recB.port)] },
      { mode: "tcp", pool: "a", rule: [{ sni: ["b.test"], pool: "b" }] },
    );
    try {
      const hello = clientHello({ sni: "b.test", alpn: ["h2", "http/1.1"], recordSize: 40 });
      const tail = Buffer.from(Array.from({ length: 3000 }, (_, i) => i & 255));
      const parts = [hello.subarray(0, 3), hello.subarray(3, 50), hello.subarray(50), tail];
      await send(r.port, parts);
      expect(recA.conns).toHaveLength(0);
      expect(recB.conns).toHaveLength(1);
      expect(Buffer.concat(recB.conns[0]!).equals(Buffer.concat([hello, tail]))).toBe(true);
    } finally {
      await r.stop();
      recA.stop();
      recB.stop();
    }
  });

  test("a client that is not TLS, or sends no ClientHello in client_header_timeout, goes to the default pool", async () => {
    const plain = new TestBackend("plain");
    const rec = new Recorder();
    const r = await rig(
      { plain: [plain], b: [standIn("b", rec.port)] },
      { mode: "tcp", pool: "plain", client_header_timeout: 200, rule: [{ sni: ["b.test"], pool: "b" }] },
    );
    try {
      const got = await send(r.port, [Buffer.from("GET /plain HTTP/1.1\r\nHost: x\r\n\r\n")]);
      expect(got).toContain("hello from plain /plain");
      // Three bytes of a record header, then nothing: routed by default once the timeout passes.
      const partial = clientHello({ sni: "b.test" }).subarray(0, 3);
      const t0 = Date.now();
      await send(r.port, [partial], 500);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
      expect(r.cluster.counters.get("tls.sni.timeout")).toBe(1);
      expect(rec.conns).toHaveLength(0);
      expect(plain.accepts).toBe(2);
    } finally {
      await r.stop();
      rec.stop();
    }
  });
});

describe.skipIf(skip !== undefined)("TCP mode with [virtual_server.tls]", () => {
  test("terminates TLS and relays the plain bytes both ways (stunnel)", async () => {
    const certs = new CertDir();
    const ca = certs.ca("ca").pem;
    const pem = certs.leaf("s", ["s.test"], "ca");
    const plain = new TestBackend("plain");
    const r = await rig(
      { plain: [plain] },
      { mode: "tcp", pool: "plain", tls: { certificates: [pem], min_version: "1.2", alpn: ["http/1.1"] } },
    );
    try {
      const c = await new TlsClient().connect(r.port, { serverName: "s.test", ca });
      expect(c.peerCN).toBe("s.test");
      expect((await c.request(req("s.test", "/a")))?.body).toBe("hello from plain /a");
      expect((await c.request(req("s.test", "/b")))?.body).toBe("hello from plain /b");
      c.close();
      // Relayed as is: no X-Forwarded-* added in TCP mode, one server connection for both.
      expect(plain.requests[0]!.names).not.toContain("x-forwarded-proto");
      expect(plain.accepts).toBe(1);
    } finally {
      await r.stop();
      certs.remove();
    }
  });
});

describe.skipIf(skip !== undefined)("TCP mode to a pool with [pool.NAME.tls]", () => {
  test("relays plain clients over TLS to the servers; a server that does not verify is not relayed to", async () => {
    const certs = new CertDir();
    certs.ca("ca");
    certs.ca("other");
    certs.leaf("app", ["app.internal"], "ca");
    certs.leaf("impostor", ["app.internal"], "other");
    const read = (f: string) => readFileSync(certs.path(f), "utf8");
    const good = new TlsBackend("good", { cert: read("app.crt"), key: read("app.key") });
    const bad = new TlsBackend("bad", { cert: read("impostor.crt"), key: read("impostor.key") });
    const tls = { verify: true, ca: certs.path("ca.crt"), sni: "app.internal" };
    const r1 = await rig(
      { app: [standIn("good", good.port)] },
      { mode: "tcp", pool: "app" },
      { app: { tls } },
    );
    const r2 = await rig(
      { app: [standIn("bad", bad.port)] },
      { mode: "tcp", pool: "app", retries: 0 },
      { app: { tls } },
    );
    try {
      const ok = await send(r1.port, [Buffer.from("GET /t HTTP/1.1\r\nHost: x\r\n\r\n")]);
      expect(ok).toContain("good /t client=");
      expect(good.requests[0]?.sni).toBe("app.internal");
      const refused = await send(r2.port, [Buffer.from("GET /t HTTP/1.1\r\nHost: x\r\n\r\n")]);
      expect(refused).toBe("");
      expect(bad.requests).toHaveLength(0);
      expect(r2.lines.join("\n")).toContain("TLS:");
    } finally {
      await r1.stop();
      await r2.stop();
      good.stop();
      bad.stop();
      certs.remove();
    }
  });
});
