// What a server learns about the client of a forwarded request: the head as it leaves tcpvs (the
// client's bytes with X-Forwarded-For/-Proto and Forwarded appended, or rebuilt when fields must go)
// and, with the PROXY protocol, the header that opens a server connection, which is then bound to
// this client for good. One object per client connection.

import type { Socket } from "bun";
import type { VirtualServerConfig } from "../config/types.ts";
import type { RequestHead } from "../http/head.ts";
import type { HttpParser } from "../http/parser.ts";
import { proxyV1, proxyV2 } from "./proxy-protocol.ts";
import type { Retained } from "./retained.ts";
import { appendedFields, type ForwardOptions, requestHead } from "./rewrite.ts";
import type { ServerChoice } from "./server-choice.ts";
import type { ServerConn, Upstream } from "./upstream.ts";

interface SocketAddresses {
  localAddress?: string;
  localPort?: number;
}

/** Its own ForwardOptions (no second object per connection). */
export class Forwarding implements ForwardOptions {
  // biome-ignore lint/suspicious/noExplicitAny: only the socket's addresses are read
  private readonly sock: Socket<any>;
  clientIp: string;
  clientPort: number;
  readonly proto = "http";
  xForwardedFor = false;
  xForwardedProto = false;
  forwarded = false;
  localIp = "";
  appendCache?: Uint8Array = undefined;
  appendKey?: number = undefined;
  /** PROXY protocol: the idle connection bound to this client, kept for its next request. */
  private mine: ServerConn | undefined = undefined;

  // biome-ignore lint/suspicious/noExplicitAny: only the socket's addresses are read
  constructor(sock: Socket<any>, clientIp: string, clientPort: number) {
    this.sock = sock;
    this.clientIp = clientIp;
    this.clientPort = clientPort;
  }

  /** The client's address as a PROXY header gave it. */
  client(ip: string, port: number): void {
    this.clientIp = ip;
    this.clientPort = port;
    this.appendCache = undefined;
  }

  private get local(): SocketAddresses {
    return this.sock as unknown as SocketAddresses;
  }

  /** Keep the head of `req` (just parsed by `p`) as the server must get it. */
  keepHead(kept: Retained, req: RequestHead, p: HttpParser<RequestHead>, cfg: VirtualServerConfig): void {
    const fo = this as ForwardOptions;
    fo.xForwardedFor = cfg.x_forwarded_for;
    fo.xForwardedProto = cfg.x_forwarded_proto;
    fo.proto = cfg.tls ? "https" : "http";
    fo.forwarded = cfg.forwarded;
    if (cfg.forwarded && fo.localIp === "") fo.localIp = this.local.localAddress ?? "";
    const extra = p.headBuf ? appendedFields(req, fo) : undefined;
    if (extra !== undefined) {
      // The common case: the client's head unchanged (its final empty line aside), our fields appended.
      kept.add(p.headBuf!, p.headStart, p.headEnd - 2);
      kept.add(extra, 0, extra.length);
    } else {
      let head: string | Uint8Array = requestHead(req, fo, req.upgrade !== undefined);
      if (!req.ascii) head = Buffer.from(head, "latin1");
      kept.add(head, 0, head.length);
    }
  }

  /** The PROXY protocol header (version 1 or 2) for a new server connection. */
  proxyHeader(version: number): string | Uint8Array {
    const fo = this as ForwardOptions;
    const addrs = {
      srcIp: fo.clientIp,
      srcPort: fo.clientPort,
      dstIp: this.local.localAddress ?? "",
      dstPort: this.local.localPort ?? 0,
    };
    return version === 1 ? proxyV1(addrs) : proxyV2(addrs);
  }

  /**
   * A connection to `choice.server` for the next attempt: a pooled one, or with the PROXY protocol
   * (version `pp`) this client's own (a new one opened with the header when the server changed).
   */
  serverConn(choice: ServerChoice, upstream: Upstream, pp: number): ServerConn {
    if (pp === 0) return upstream.acquire();
    const mine = this.mine;
    this.mine = undefined;
    if (mine?.open && mine.server === choice.server) {
      mine.reused = true;
      return mine;
    }
    mine?.close();
    const conn = upstream.connect();
    conn.privateTo = this;
    conn.out.write(this.proxyHeader(pp));
    return conn;
  }

  /** The exchange on `c` ended cleanly: pool it, or keep it for this client when it is bound here. */
  release(c: ServerConn): void {
    if (c.privateTo === undefined) {
      c.upstream.release(c);
      return;
    }
    c.owner = undefined;
    this.mine = c;
  }

  /** The client left. */
  close(): void {
    this.mine?.close();
    this.mine = undefined;
  }
}
