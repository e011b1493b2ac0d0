// A TLS client for the tests: one connection (SNI chosen or none), requests sent one at a time on it
// (keep-alive), each response parsed; the certificate the server showed is kept.

import type { Socket } from "bun";
import type { ResponseHead } from "../../core/http/head.ts";
import { HttpParser } from "../../core/http/parser.ts";
import type { RawResponse } from "../switch/helpers.ts";

export class TlsClient {
  private sock: Socket<undefined> | undefined;
  private parser: HttpParser<ResponseHead>;
  private cur: RawResponse | undefined;
  private waiting: ((r: RawResponse | undefined) => void) | undefined;
  closed = false;
  /** The server certificate's subject CN and SAN text, after the handshake. */
  peerCN = "";
  peerSAN = "";
  /** The server certificate's end of validity (tells two certificates for the same name apart). */
  peerValidTo = "";
  alpn: string | false | null = null;
  handshakeError: string | undefined;

  constructor() {
    this.parser = new HttpParser<ResponseHead>("response", {
      onHead: (h) => {
        this.cur = {
          status: h.status,
          headers: Object.fromEntries(h.names.map((n, i) => [n, h.values[i]!])),
          body: "",
        };
      },
      onData: (b, s, e) => {
        if (this.cur) this.cur.body += b.toString("latin1", s, e);
      },
      onEnd: () => {
        const r = this.cur;
        this.cur = undefined;
        const w = this.waiting;
        this.waiting = undefined;
        w?.(r);
      },
    });
  }

  /** Connect and finish the handshake (or fail it: handshakeError says why). */
  async connect(
    port: number,
    opts: { serverName?: string; ca?: string; alpn?: string[] } = {},
  ): Promise<this> {
    let ready!: () => void;
    const done = new Promise<void>((r) => {
      ready = r;
    });
    const alpn = opts.alpn
      ? Buffer.concat(opts.alpn.map((n) => Buffer.concat([Buffer.from([n.length]), Buffer.from(n)])))
      : undefined;
    this.sock = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      tls: {
        serverName: opts.serverName,
        ca: opts.ca,
        rejectUnauthorized: opts.ca !== undefined,
        ALPNProtocols: alpn,
      },
      socket: {
        handshake: (s, ok, err) => {
          const c = s.getPeerCertificate();
          this.peerCN = String(c?.subject?.CN ?? "");
          this.peerSAN = String(c?.subjectaltname ?? "");
          this.peerValidTo = String(c?.valid_to ?? "");
          this.alpn = s.alpnProtocol;
          if (!ok && opts.ca !== undefined) this.handshakeError = err?.message ?? "failed";
          ready();
        },
        data: (_s, d) => {
          this.parser.execute(d);
        },
        close: () => {
          this.closed = true;
          if (this.handshakeError === undefined && this.peerCN === "") this.handshakeError = "closed";
          ready();
          const w = this.waiting;
          this.waiting = undefined;
          w?.(undefined);
        },
        error: () => {},
      },
    });
    const t = setTimeout(ready, 3000);
    await done;
    clearTimeout(t);
    return this;
  }

  /** Send one request; its response, or undefined when the connection closed first. */
  request(text: string, timeoutMs = 3000): Promise<RawResponse | undefined> {
    this.parser.requestMethod = text.slice(0, text.indexOf(" "));
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(undefined), timeoutMs);
      this.waiting = (r) => {
        clearTimeout(t);
        resolve(r);
      };
      this.sock!.write(text);
    });
  }

  close(): void {
    this.sock?.end();
  }
}

export const req = (host: string, path = "/") => `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
