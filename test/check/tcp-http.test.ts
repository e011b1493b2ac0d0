import tls from "node:tls";
import { afterAll, describe, expect, test } from "bun:test";
import { runOneCheck } from "../../core/check/registry.ts";
import { md5Hex } from "../../core/check/http.ts";
import { checkDefaults } from "../../core/check/types.ts";
import { closedTcpPort, inet, rawHttpServer, selfSigned, tcpServer } from "./net-helpers.ts";

const open: Array<{ stop(force?: boolean): void }> = [];
afterAll(() => {
  for (const l of open) l.stop(true);
});

function ok200(body: string, extra = ""): string {
  return `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
}

describe("tcp check", () => {
  test("passes when a listener accepts", async () => {
    const l = tcpServer(() => {});
    open.push(l);
    const r = await runOneCheck(checkDefaults({ type: "tcp" }), inet(l.port));
    expect(r).toMatchObject({ ok: true, reason: "connected" });
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
  });

  test("fails with refused on a closed port", async () => {
    const r = await runOneCheck(checkDefaults({ type: "tcp" }), inet(closedTcpPort()));
    expect(r).toMatchObject({ ok: false, reason: "refused" });
  });

  test("the port override wins over the server's port", async () => {
    const l = tcpServer(() => {});
    open.push(l);
    const r = await runOneCheck(checkDefaults({ type: "tcp", port: l.port }), inet(closedTcpPort()));
    expect(r.ok).toBe(true);
  });
});

describe("http check", () => {
  test("sends the exact method, path, Host and version", async () => {
    const h = rawHttpServer(ok200("hi"));
    open.push(h.server);
    const check = checkDefaults({
      type: "http",
      method: "HEAD",
      path: "/health?x=1",
      host: "app.test",
      http_version: "1.0",
    });
    const r = await runOneCheck(check, inet(h.port));
    expect(r).toMatchObject({ ok: true, reason: "status 200" });
    const lines = h.heads[0]!.split("\r\n");
    expect(lines[0]).toBe("HEAD /health?x=1 HTTP/1.0");
    expect(lines).toContain("Host: app.test");
  });

  test("the default Host is the server address with its port", async () => {
    const h = rawHttpServer(ok200("hi"));
    open.push(h.server);
    await runOneCheck(checkDefaults({ type: "http" }), inet(h.port));
    expect(h.heads[0]!.split("\r\n")).toContain(`Host: 127.0.0.1:${h.port}`);
    expect(h.heads[0]!.split("\r\n")[0]).toBe("GET / HTTP/1.1");
  });

  test("a status outside the accepted ranges fails with the status", async () => {
    const h = rawHttpServer("HTTP/1.1 503 Unavailable\r\nContent-Length: 0\r\n\r\n");
    open.push(h.server);
    expect(await runOneCheck(checkDefaults({ type: "http" }), inet(h.port))).toMatchObject({
      ok: false,
      reason: "status 503",
    });
    const accept = checkDefaults({
      type: "http",
      status: [
        [200, 200],
        [500, 503],
      ],
    });
    expect((await runOneCheck(accept, inet(h.port))).ok).toBe(true);
  });

  test("body regex passes and fails, on a chunked body", async () => {
    const chunked =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    const h = rawHttpServer(chunked);
    open.push(h.server);
    const good = await runOneCheck(checkDefaults({ type: "http", body_regex: "hello w" }), inet(h.port));
    expect(good.ok).toBe(true);
    const bad = await runOneCheck(checkDefaults({ type: "http", body_regex: "^bye" }), inet(h.port));
    expect(bad).toMatchObject({ ok: false, reason: "body does not match /^bye/" });
  });

  test("digest is the hex MD5 of the whole body, read to the end of the connection", async () => {
    const body = "x".repeat(100_000);
    const h = rawHttpServer(`HTTP/1.0 200 OK\r\n\r\n${body}`);
    open.push(h.server);
    const digest = md5Hex(new TextEncoder().encode(body));
    expect(digest).toMatch(/^[0-9a-f]{32}$/);
    expect((await runOneCheck(checkDefaults({ type: "http", digest }), inet(h.port))).ok).toBe(true);
    const wrong = await runOneCheck(checkDefaults({ type: "http", digest: "0".repeat(32) }), inet(h.port));
    expect(wrong.ok).toBe(false);
    expect(wrong.reason).toStartWith("digest mismatch");
  });

  test("a server that accepts and never answers times out", async () => {
    const l = tcpServer(() => {});
    open.push(l);
    const r = await runOneCheck(checkDefaults({ type: "http", timeout: 150 }), inet(l.port));
    expect(r).toMatchObject({ ok: false, reason: "timed out after 150 ms" });
  });

  test("refused and garbage replies fail with a reason", async () => {
    expect(await runOneCheck(checkDefaults({ type: "http" }), inet(closedTcpPort()))).toMatchObject({
      ok: false,
      reason: "refused",
    });
    const h = rawHttpServer("SSH-2.0-OpenSSH\r\n\r\n");
    open.push(h.server);
    const r = await runOneCheck(checkDefaults({ type: "http" }), inet(h.port));
    expect(r.ok).toBe(false);
    expect(r.reason).toStartWith("bad response: ");
    expect(r.reason).toEndWith("(bad_status_line)");
  });

  test("a response the switch would refuse (Content-Length with Transfer-Encoding) is a server down", async () => {
    const h = rawHttpServer(
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    );
    open.push(h.server);
    for (const check of [
      checkDefaults({ type: "http" }),
      checkDefaults({ type: "http", body_regex: "hello" }),
    ]) {
      const r = await runOneCheck(check, inet(h.port));
      expect(r).toMatchObject({
        ok: false,
        reason: "bad response: a message with both Content-Length and Transfer-Encoding (cl_and_te)",
      });
    }
  });

  test("chunked bodies, interim 1xx responses and close-delimited bodies are read as the switch reads them", async () => {
    const chunked = rawHttpServer(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nhel\r\n2\r\nlo\r\n0\r\nT: v\r\n\r\n",
    );
    const closed = rawHttpServer("HTTP/1.0 200 OK\r\n\r\nhello");
    const cut = rawHttpServer("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nhello");
    open.push(chunked.server, closed.server, cut.server);
    const check = checkDefaults({ type: "http", body_regex: "^hello$" });
    expect(await runOneCheck(check, inet(chunked.port))).toMatchObject({ ok: true, reason: "status 200" });
    expect(await runOneCheck(check, inet(closed.port))).toMatchObject({ ok: true, reason: "status 200" });
    expect(await runOneCheck(check, inet(cut.port))).toMatchObject({
      ok: false,
      reason: expect.stringContaining("(incomplete_message)"),
    });
  });

  test("https with SNI; verification rejects a self-signed certificate unless turned off", async () => {
    const tlsFiles = await selfSigned();
    if (!tlsFiles) {
      console.log("skip https: openssl not available");
      return;
    }
    let sni: string | false | null = "";
    const srv = tls.createServer({ cert: tlsFiles.cert, key: tlsFiles.key }, (sock) => {
      sni = sock.servername;
      sock.on("data", () => sock.end("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecure"));
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
    open.push({ stop: () => srv.close() });
    const port = (srv.address() as { port: number }).port;
    const insecure = checkDefaults({
      type: "https",
      host: "app.test",
      tls_verify: false,
      body_regex: "secure",
    });
    expect(await runOneCheck(insecure, inet(port))).toMatchObject({ ok: true, reason: "status 200" });
    expect(sni).toBe("app.test");
    const strict = await runOneCheck(checkDefaults({ type: "https", host: "app.test" }), inet(port));
    expect(strict.ok).toBe(false);
    expect(strict.reason.toLowerCase()).toContain("cert");
  });
});
