// keepalived's bindto / bind_port: a check connects from the source address and port it names, over
// TCP (tcp, http), TLS (https, with verification as usual) and UDP; without them the kernel picks.

import { afterEach, describe, expect, test } from "bun:test";
import tls from "node:tls";
import { parseConfig } from "../../core/config/load.ts";
import { runOneCheck } from "../../core/check/registry.ts";
import { checkDefaults } from "../../core/check/types.ts";
import { inet, selfSigned } from "./net-helpers.ts";

const open: Array<{ stop: () => void }> = [];
afterEach(() => {
  for (const o of open.splice(0)) o.stop();
});

/** A TCP listener that answers HTTP 200 and remembers each client's address and port. */
function httpServer(): { port: number; peers: string[] } {
  const peers: string[] = [];
  const l = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open: (s) =>
        void peers.push(`${s.remoteAddress}:${(s as unknown as { remotePort: number }).remotePort}`),
      data: (s) => {
        s.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        s.end();
      },
    },
  });
  open.push({ stop: () => l.stop(true) });
  return { port: l.port, peers };
}

describe("bindto / bind_port", () => {
  test("tcp and http checks connect from the address named; without it from the kernel's choice", async () => {
    const srv = httpServer();
    expect(await runOneCheck(checkDefaults({ type: "tcp" }), inet(srv.port))).toMatchObject({ ok: true });
    expect(srv.peers.at(-1)).toStartWith("127.0.0.1:");
    const bound = checkDefaults({ type: "tcp", bindto: "127.0.0.7" });
    expect(await runOneCheck(bound, inet(srv.port))).toMatchObject({ ok: true, reason: "connected" });
    expect(srv.peers.at(-1)).toStartWith("127.0.0.7:");
    const http = checkDefaults({ type: "http", bindto: "127.0.0.8", bind_port: 47_123 });
    expect(await runOneCheck(http, inet(srv.port))).toMatchObject({ ok: true, reason: "status 200" });
    expect(srv.peers.at(-1)).toBe("127.0.0.8:47123");
  });

  test("a source address this host does not have fails the check with the reason", async () => {
    const srv = httpServer();
    const r = await runOneCheck(
      checkDefaults({ type: "tcp", bindto: "192.0.2.1", timeout: 500 }),
      inet(srv.port),
    );
    expect(r.ok).toBe(false);
    expect(r.reason.toLowerCase()).toMatch(/addrnotavail|assign|address/);
  });

  test("udp checks send from the address and port named", async () => {
    const seen: string[] = [];
    const s = await Bun.udpSocket({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data: (sock, _d, port, addr) => {
          seen.push(`${addr}:${port}`);
          sock.send("pong", port, addr);
        },
      },
    });
    open.push({ stop: () => s.close() });
    const check = checkDefaults({ type: "udp", send: "ping", bindto: "127.0.0.9", bind_port: 47_124 });
    expect(await runOneCheck(check, inet(s.port))).toMatchObject({ ok: true });
    expect(seen).toEqual(["127.0.0.9:47124"]);
  });

  test("https from a bound source: verification as without one", async () => {
    const files = await selfSigned();
    if (!files) {
      console.log("skip https with bindto: openssl not available");
      return;
    }
    let peer = "";
    const srv = tls.createServer({ cert: files.cert, key: files.key }, (sock) => {
      peer = String(sock.remoteAddress);
      sock.on("data", () => sock.end("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecure"));
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
    open.push({ stop: () => srv.close() });
    const port = (srv.address() as { port: number }).port;
    const insecure = checkDefaults({
      type: "https",
      host: "app.test",
      tls_verify: false,
      bindto: "127.0.0.10",
    });
    expect(await runOneCheck(insecure, inet(port))).toMatchObject({ ok: true, reason: "status 200" });
    expect(peer).toBe("127.0.0.10");
    const strict = await runOneCheck(
      checkDefaults({ type: "https", host: "app.test", bindto: "127.0.0.10" }),
      inet(port),
    );
    expect(strict.ok).toBe(false);
    expect(strict.reason.toLowerCase()).toContain("cert");
  });

  test("the keys in a file: an address, a port; a bad address is refused at its line", () => {
    const text = `[[virtual_server]]
name = "web"
listen = ["127.0.0.1:8080"]
pool = "app"

[pool.app]
  [[pool.app.server]]
  address = "127.0.0.1:9000"
  [pool.app.check]
  type = "tcp"
  bindto = "127.0.0.5"
  bind_port = 40000
`;
    expect(parseConfig(text, "t.toml").pool.app!.check[0]).toMatchObject({
      bindto: "127.0.0.5",
      bind_port: 40_000,
    });
    expect(() => parseConfig(text.replace('"127.0.0.5"', '"eth0"'), "t.toml")).toThrow(
      't.toml:11:3: pool.app.check.bindto: invalid address "eth0"',
    );
  });
});
