// HTTPS termination through real listeners with real certificates (made by openssl per run): the
// certificate chosen by SNI, the default without SNI, sni rules routing to pools, X-Forwarded-Proto,
// min_version and ALPN refusals counted by reason.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { exchange, type Rig, rig, TestBackend } from "../switch/helpers.ts";
import { missingTools } from "../tools.ts";
import { CertDir } from "./certs.ts";
import { sClient } from "./s-client.ts";
import { req, TlsClient } from "./tls-client.ts";

const skip = missingTools("TLS termination tests", "openssl");

describe.skipIf(skip !== undefined)("HTTPS termination", () => {
  let certs: CertDir;
  let ca: string;
  let r: Rig;
  let web: TestBackend;
  let api: TestBackend;

  beforeAll(async () => {
    certs = new CertDir();
    ca = certs.ca("ca").pem;
    const a = certs.leaf("a", ["a.test", "*.a.test"], "ca");
    certs.leaf("b", ["b.test"], "ca", { sub: "more" });
    certs.leaf("c", ["c.test"], "ca", { sub: "more" });
    web = new TestBackend("web");
    api = new TestBackend("api");
    r = await rig(
      { web: [web], api: [api] },
      {
        tls: { certificates: [a, certs.path("more")], min_version: "1.2", alpn: ["http/1.1"] },
        rule: [
          { sni: ["b.test", "*.c.test"], pool: "api" },
          { host: "api.a.test", pool: "api" },
        ],
      },
    );
  });

  afterAll(async () => {
    await r?.stop();
    certs?.remove();
  });

  test("two certificates picked by SNI, wildcards included, from a file and a directory", async () => {
    for (const [sni, cn] of [
      ["a.test", "a.test"],
      ["b.test", "b.test"],
      ["x.a.test", "a.test"],
      ["c.test", "c.test"],
    ]) {
      const c = await new TlsClient().connect(r.port, { serverName: sni, ca });
      expect(c.handshakeError).toBeUndefined();
      expect(c.peerCN).toBe(cn!);
      const res = await c.request(req(sni!));
      expect(res?.status).toBe(200);
      c.close();
    }
    // A wildcard covers one label: y.x.a.test is not a.test's, so the default (a.test) is shown and
    // the client's verification refuses it.
    const deep = await new TlsClient().connect(r.port, { serverName: "y.x.a.test", ca });
    expect(deep.handshakeError).toContain("altnames");
  });

  test("the first certificate is the default for a client without SNI or with an unknown one", async () => {
    const none = await new TlsClient().connect(r.port);
    expect(none.peerCN).toBe("a.test");
    expect((await none.request(req("whatever")))?.status).toBe(200);
    none.close();
    const unknown = await new TlsClient().connect(r.port, { serverName: "unknown.example" });
    expect(unknown.peerCN).toBe("a.test");
    unknown.close();
  });

  test("sni rules route to different pools in HTTP mode", async () => {
    const before = { web: web.requests.length, api: api.requests.length };
    const a = await new TlsClient().connect(r.port, { serverName: "a.test", ca });
    expect((await a.request(req("a.test", "/one")))?.body).toBe("hello from web /one");
    const b = await new TlsClient().connect(r.port, { serverName: "b.test", ca });
    expect((await b.request(req("b.test", "/two")))?.body).toBe("hello from api /two");
    const c = await new TlsClient().connect(r.port, { serverName: "www.c.test" });
    expect((await c.request(req("www.c.test", "/three")))?.body).toBe("hello from api /three");
    a.close();
    b.close();
    c.close();
    expect(web.requests.length - before.web).toBe(1);
    expect(api.requests.length - before.api).toBe(2);
  });

  test("a Host naming another site than the SNI is routed by Host (a host rule decides)", async () => {
    const before = api.requests.length;
    const c = await new TlsClient().connect(r.port, { serverName: "a.test", ca });
    expect((await c.request(req("api.a.test", "/by-host")))?.body).toBe("hello from api /by-host");
    c.close();
    expect(api.requests.length - before).toBe(1);
  });

  test("what the switch refuses in plain HTTP it refuses over TLS: a malformed request gets 400", async () => {
    const c = await new TlsClient().connect(r.port, { serverName: "a.test", ca });
    const res = await c.request(
      "GET / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    );
    expect(res?.status).toBe(400);
    c.close();
  });

  test("plain HTTP on the TLS port gets a plaintext 400 and a close, not a hang, counted as plain_http", async () => {
    const before = r.cluster.counters.get("tls.handshake.failed.plain_http") ?? 0;
    const t0 = Date.now();
    const res = await exchange(r.port, "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n", {
      timeoutMs: 2000,
      count: 2, // wait past the answer for the close
    });
    expect(res.closed).toBe(true);
    expect(Date.now() - t0).toBeLessThan(1000);
    // The answer's are the first bytes on the wire: no TLS alert before it.
    expect(res.raw).toStartWith("HTTP/1.1 400 Bad Request\r\n");
    expect(res.responses).toHaveLength(1);
    expect(res.responses[0]!.headers.connection).toBe("close");
    expect(res.responses[0]!.body).toContain("plain HTTP request sent to a TLS port");
    // A request with a body, and a proxy's CONNECT (BoringSSL's HTTPS_PROXY_REQUEST), the same.
    const post = await exchange(r.port, "POST /f HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3\r\n\r\nabc", {
      timeoutMs: 2000,
      count: 2,
    });
    expect(post.responses.map((x) => x.status)).toEqual([400]);
    expect(post.closed).toBe(true);
    const connect = await exchange(r.port, "CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\n\r\n", {
      timeoutMs: 2000,
    });
    expect(connect.responses.map((x) => x.status)).toEqual([400]);
    expect(r.cluster.counters.get("tls.handshake.failed.plain_http")).toBe(before + 3);
    expect(web.requests.some((h) => h.target === "/f")).toBe(false);
    // The listener goes on serving TLS.
    const c = await new TlsClient().connect(r.port, { serverName: "a.test", ca });
    expect((await c.request(req("a.test", "/after")))?.status).toBe(200);
    c.close();
  });

  test("X-Forwarded-Proto is https", async () => {
    const c = await new TlsClient().connect(r.port, { serverName: "a.test", ca });
    await c.request(req("a.test", "/proto"));
    c.close();
    const seen = web.requests.find((h) => h.target === "/proto")!;
    const i = seen.names.indexOf("x-forwarded-proto");
    expect(seen.values[i]).toBe("https");
  });

  test("ALPN http/1.1 is chosen; a client offering only h2 fails the handshake, counted as alpn", async () => {
    const ok = await new TlsClient().connect(r.port, { serverName: "a.test", ca, alpn: ["h2", "http/1.1"] });
    expect(ok.alpn).toBe("http/1.1");
    ok.close();
    const bad = await new TlsClient().connect(r.port, { serverName: "a.test", ca, alpn: ["h2"] });
    expect(bad.handshakeError).toBeDefined();
    await Bun.sleep(50);
    expect(r.cluster.counters.get("tls.handshake.failed.alpn")).toBeGreaterThanOrEqual(1);
    expect(r.cluster.counters.get("tls.handshake.ok")).toBeGreaterThanOrEqual(1);
  });
});

describe.skipIf(skip !== undefined)("min_version", () => {
  test('min_version = "1.3" refuses a TLS 1.2 client (counted as version) and serves a TLS 1.3 one', async () => {
    const certs = new CertDir();
    certs.ca("ca");
    const a = certs.leaf("a", ["a.test"], "ca");
    const web = new TestBackend("web");
    const r = await rig(
      { web: [web] },
      { tls: { certificates: [a], min_version: "1.3", alpn: ["http/1.1"] } },
    );
    try {
      const s_client = (v: string) =>
        Bun.spawn(["openssl", "s_client", "-connect", `127.0.0.1:${r.port}`, v, "-servername", "a.test"], {
          stdin: "pipe",
          stdout: "pipe",
          stderr: "pipe",
        });
      const old = s_client("-tls1_2");
      old.stdin.end();
      expect(await old.exited).not.toBe(0);
      const cur = s_client("-tls1_3");
      cur.stdin.write("GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
      await Bun.sleep(300);
      cur.stdin.end();
      const out = await new Response(cur.stdout).text();
      expect(out).toContain("hello from web /");
      expect(out).toContain("TLSv1.3");
      expect(r.cluster.counters.get("tls.handshake.failed.version")).toBe(1);
    } finally {
      await r.stop();
      certs.remove();
    }
  });
});

describe.skipIf(skip !== undefined)("safe defaults", () => {
  test("sessions resume (TLS 1.2 and 1.3 tickets); a TLS 1.2 renegotiation is refused with an alert", async () => {
    const certs = new CertDir();
    certs.ca("ca");
    const a = certs.leaf("a", ["a.test"], "ca");
    const r = await rig(
      { web: [new TestBackend("web")] },
      { tls: { certificates: [a], min_version: "1.2", alpn: ["http/1.1"] } },
    );
    const sClientTo = (args: string[], input: string) => sClient(r.port, args, input);
    try {
      for (const v of ["-tls1_2", "-tls1_3"]) {
        const sess = certs.path(`sess${v}`);
        const first = await sClientTo([v, "-sess_out", sess], "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n");
        expect(first).toContain("New, TLS");
        const again = await sClientTo([v, "-sess_in", sess], "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n");
        expect(again).toContain("Reused, TLS");
      }
      const reneg = await sClientTo(["-tls1_2"], "R\n");
      expect(reneg).toContain("RENEGOTIATING");
      expect(reneg).toContain("no renegotiation");
    } finally {
      await r.stop();
      certs.remove();
    }
  });
});
