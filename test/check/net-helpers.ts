// Loopback listeners and small helpers shared by the check tests.

import type { Socket, TCPSocketListener } from "bun";
import type { Endpoint } from "../../core/config/types.ts";
import { haveTool } from "../tools.ts";

export function inet(port: number, host = "127.0.0.1"): Endpoint {
  return { kind: "inet", host, port, family: host.includes(":") ? 6 : 4, text: `${host}:${port}` };
}

/** A TCP port nobody listens on: bind one, then close it. */
export function closedTcpPort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

export async function closedUdpPort(): Promise<number> {
  const s = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0 });
  const port = s.port;
  s.close();
  return port;
}

/** A TCP server that calls `onData` with each connection's whole buffered input so far. */
export function tcpServer(
  onOpen: (s: Socket<{ buf: string }>) => void,
  onData?: (s: Socket<{ buf: string }>, all: string) => void,
): TCPSocketListener<{ buf: string }> {
  return Bun.listen<{ buf: string }>({
    hostname: "127.0.0.1",
    port: 0,
    data: { buf: "" },
    socket: {
      open(s) {
        s.data = { buf: "" };
        onOpen(s);
      },
      data(s, d) {
        s.data.buf += new TextDecoder("latin1").decode(d);
        onData?.(s, s.data.buf);
      },
    },
  });
}

/** An HTTP server answering every complete request head with `reply` (raw bytes), recording heads. */
export function rawHttpServer(reply: string | ((head: string) => string)) {
  const heads: string[] = [];
  const server = tcpServer(
    () => {},
    (s, all) => {
      const end = all.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = all.slice(0, end);
      heads.push(head);
      s.data.buf = "";
      s.end(typeof reply === "function" ? reply(head) : reply);
    },
  );
  return { server, heads, port: server.port };
}

export const isRoot = process.getuid?.() === 0;

/**
 * A self-signed certificate for app.test, made by openssl in a temporary file; undefined when openssl
 * is missing or fails (the caller skips, saying why).
 */
export async function selfSigned(): Promise<{ cert: string; key: string } | undefined> {
  if (!haveTool("openssl")) return undefined;
  const base = `/tmp/tcpvs-check-tls-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  const p = Bun.spawn(
    [
      "openssl",
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=app.test",
    ].concat(["-keyout", `${base}.key`, "-out", `${base}.crt`]),
    { stdio: ["ignore", "ignore", "ignore"] },
  );
  if ((await p.exited) !== 0) return undefined;
  const out = { cert: await Bun.file(`${base}.crt`).text(), key: await Bun.file(`${base}.key`).text() };
  await Bun.$`rm -f ${base}.crt ${base}.key`.quiet();
  return out;
}
