// Log lines to a syslog collector: RFC 5424 messages over UDP (RFC 5426), one datagram per line,
// facility local0. The socket opens asynchronously; lines written before it is ready wait in a short
// bounded list (more are dropped and counted), so logging never blocks and never grows without bound.

import { hostname } from "node:os";
import type { Endpoint } from "../net/endpoint.ts";
import type { LogSink } from "./logger.ts";

/** local0 (16) * 8 + informational (6). */
const PRI = 134;
const MAX_PENDING = 256;
/** RFC 5426: a receiver must take 480 bytes, should take 2048; longer lines are cut. */
const MAX_DATAGRAM = 2048;

interface UdpSender {
  send(data: string | Uint8Array, port: number, address: string): boolean;
  close(): void;
  unref?(): void;
}

/** A HOSTNAME or APP-NAME field: printable ASCII without spaces, "-" when empty (RFC 5424 6.2). */
function field(s: string, max: number): string {
  const v = s.replace(/[^\x21-\x7e]/g, "").slice(0, max);
  return v === "" ? "-" : v;
}

export class SyslogSink implements LogSink {
  private readonly host: string;
  private readonly port: number;
  private readonly header: string;
  private sock: UdpSender | undefined = undefined;
  private pending: string[] | undefined = [];
  private closed = false;
  dropped = 0;

  constructor(to: Endpoint, opts: { app?: string; msgid?: string; hostname?: string } = {}) {
    if (to.kind !== "inet") throw new Error("syslog needs a host:port address");
    this.host = to.host;
    this.port = to.port;
    const app = field(opts.app ?? "tcpvs", 48);
    this.header = ` ${field(opts.hostname ?? hostname(), 255)} ${app} ${process.pid} ${field(opts.msgid ?? "-", 32)} - `;
    Bun.udpSocket({}).then(
      (s) => {
        if (this.closed) {
          s.close();
          return;
        }
        s.unref?.();
        this.sock = s;
        const list = this.pending ?? [];
        this.pending = undefined;
        for (const m of list) this.send(m);
      },
      () => {
        this.pending = undefined;
      },
    );
  }

  /** One line (its trailing newline dropped) as one RFC 5424 message. */
  write(line: string): void {
    const msg = line.endsWith("\n") ? line.slice(0, -1) : line;
    const framed = `<${PRI}>1 ${new Date().toISOString()}${this.header}${msg}`;
    const out = framed.length > MAX_DATAGRAM ? framed.slice(0, MAX_DATAGRAM) : framed;
    if (this.sock !== undefined) this.send(out);
    else if (this.pending !== undefined && this.pending.length < MAX_PENDING) this.pending.push(out);
    else this.dropped++;
  }

  private send(m: string): void {
    try {
      if (!this.sock!.send(m, this.port, this.host)) this.dropped++;
    } catch {
      this.dropped++;
    }
  }

  close(): void {
    this.closed = true;
    this.sock?.close();
    this.sock = undefined;
  }
}
