// A TLS server for the tests: answers each GET with its name, the path and the client certificate's
// CN (mutual TLS), keeps connections alive, and counts what it accepted and what failed its handshake.

import type { Socket, TCPSocketListener } from "bun";
import type { RequestHead } from "../../core/http/head.ts";
import { HttpParser } from "../../core/http/parser.ts";

export class TlsBackend {
  accepts = 0;
  handshakesFailed = 0;
  readonly requests: Array<{ target: string; clientCN: string; sni: string }> = [];
  private readonly listener: TCPSocketListener<HttpParser<RequestHead> | undefined>;

  constructor(
    readonly name: string,
    pem: { cert: string; key: string },
    opts: { requireClientCa?: string } = {},
  ) {
    this.listener = Bun.listen<HttpParser<RequestHead> | undefined>({
      hostname: "127.0.0.1",
      port: 0,
      tls: {
        cert: pem.cert,
        key: pem.key,
        requestCert: opts.requireClientCa !== undefined,
        ca: opts.requireClientCa,
        rejectUnauthorized: opts.requireClientCa !== undefined,
      },
      socket: {
        open: (s) => {
          this.accepts++;
          s.data = new HttpParser<RequestHead>("request", {
            onHead: (h) => this.answer(s, h),
            onEnd: () => {},
          });
        },
        handshake: (_s, ok) => {
          if (!ok && opts.requireClientCa !== undefined) this.handshakesFailed++;
        },
        data: (s, d) => {
          s.data?.execute(d);
        },
        error: () => {},
      },
    });
  }

  private answer(s: Socket<HttpParser<RequestHead> | undefined>, h: RequestHead): void {
    const clientCN = String(s.getPeerCertificate()?.subject?.CN ?? "");
    const sni = (s as unknown as { getServername(): string }).getServername() ?? "";
    this.requests.push({ target: h.target, clientCN, sni });
    const body = `${this.name} ${h.target} client=${clientCN}`;
    s.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
  }

  get port(): number {
    return this.listener.port;
  }

  stop(): void {
    this.listener.stop(true);
  }
}
