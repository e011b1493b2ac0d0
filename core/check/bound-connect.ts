// A check's connection from a chosen source address and port (keepalived's bindto / bind_port). Bun.connect
// cannot bind its local end; node:net (and node:tls over it) can, so a check with a source goes this way
// and every other check keeps Bun.connect. The events are the ones ProbeConn already handles.

import { connect as netConnect } from "node:net";
import { type TLSSocket, connect as tlsConnect } from "node:tls";
import type { CheckBind } from "./types.ts";

export interface BoundEvents {
  data(d: Uint8Array): void;
  end(): void;
  fail(e: Error): void;
  /** TLS only: the handshake finished (ok) or the certificate was refused. */
  handshake(ok: boolean, err: Error | null): void;
}

/** What ProbeConn needs of a connected socket. */
export interface BoundSocket {
  write(data: string | Uint8Array): void;
  terminate(): void;
}

export interface BoundTls {
  serverName?: string;
  verify: boolean;
  /** A TLS pool's CA and client certificate (PEM), as Bun.connect gets them. */
  ca?: string;
  cert?: string;
  key?: string;
}

/** Connect from `bind` to host:port; resolves once connected (the TLS handshake is told by `ev`). */
export function boundConnect(
  host: string,
  port: number,
  bind: CheckBind,
  tls: BoundTls | undefined,
  ev: BoundEvents,
): Promise<BoundSocket> {
  const local = { localAddress: bind.address, localPort: bind.port };
  const sock = tls
    ? tlsConnect({
        host,
        port,
        ...local,
        servername: tls.serverName,
        ca: tls.ca,
        cert: tls.cert,
        key: tls.key,
        // Verification is judged in the handshake event, as with Bun.connect.
        rejectUnauthorized: false,
      })
    : netConnect({ host, port, ...local });
  return new Promise((resolve, reject) => {
    let connected = false;
    sock.on("data", (d: Buffer) => ev.data(new Uint8Array(d)));
    sock.on("end", () => ev.end());
    sock.on("close", () => ev.end());
    sock.on("error", (e: Error) => {
      if (!connected) reject(e);
      else ev.fail(e);
    });
    sock.once("connect", () => {
      connected = true;
      resolve({ write: (d) => void sock.write(d), terminate: () => void sock.destroy() });
    });
    if (tls) {
      const t = sock as TLSSocket;
      t.once("secureConnect", () => {
        const err = t.authorizationError;
        const ok = !tls.verify || t.authorized;
        ev.handshake(
          ok,
          ok ? null : err instanceof Error ? err : new Error(String(err ?? "certificate rejected")),
        );
      });
    }
  });
}
