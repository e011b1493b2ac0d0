// Connections to servers: one request at a time on each, kept alive between requests in a bounded
// per-server idle list (most recently used first, so the rest age out), each with an idle timeout.

import type { Socket, TLSOptions } from "bun";
import { serverHandshakeReason } from "../tls/pool-tls.ts";
import type { Endpoint } from "../config/types.ts";
import type { HttpError } from "../http/errors.ts";
import type { ResponseHead } from "../http/head.ts";
import { HttpParser } from "../http/parser.ts";
import { log } from "../log/logger.ts";
import type { ServerState } from "../state/cluster.ts";
import { fdShortage } from "../sys/fd-limit.ts";
import { Out } from "./out.ts";

export type UpFailure = "refused" | "connect_timeout" | "closed" | "bad_response" | "local";

/**
 * Connect errors that are this host's, not the server's: out of descriptors, of local ports, of
 * buffer memory. Such a failure is not counted against the server and not retried on another.
 */
const LOCAL_ERRORS = new Set(["EMFILE", "ENFILE", "EADDRNOTAVAIL", "ENOBUFS", "ENOMEM"]);

/** The local reason a connect failed ("EMFILE" ...), or undefined when the server may be to blame. */
export function localConnectError(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  // Bun reports a socket() that failed for want of a descriptor as ECONNREFUSED: ask the kernel.
  return typeof code === "string" && LOCAL_ERRORS.has(code) ? code : fdShortage();
}

/** The client side of an exchange, told what the server does. */
export interface UpstreamOwner {
  readonly out: Out;
  onUpOpen(c: ServerConn): void;
  onUpHead(h: ResponseHead): void;
  onUpBody(buf: Buffer, start: number, end: number): void;
  onUpData(buf: Buffer, start: number, end: number): void;
  onUpEnd(): void;
  onUpFail(c: ServerConn, why: UpFailure, err?: HttpError): void;
  /** Raw bytes after a 101. */
  onUpRaw(buf: Buffer): void;
  /** Writes to the server are (not) backing up: stop (resume) reading the client. */
  onUpBlocked(blocked: boolean): void;
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;

export class ServerConn {
  readonly server: ServerState;
  readonly upstream: Upstream;
  sock: Socket<ServerConn> | undefined = undefined;
  readonly out = new Out();
  readonly parser: HttpParser<ResponseHead>;
  owner: UpstreamOwner | undefined = undefined;
  state = CONNECTING;
  /** Served an earlier exchange: a close before any byte may be the server timing it out. */
  reused = false;
  /** Response bytes seen in the current exchange. */
  gotBytes = false;
  tunnel = false;
  /** Epoch ms: connect deadline while connecting, idle expiry while pooled. */
  deadline = 0;
  /** The address it was opened to (a reload may move the server). */
  target = "";
  /** Bound to one client connection (PROXY protocol): never pooled for others. */
  privateTo: unknown = undefined;
  /** The socket's error code when it closed on one (ECONNREFUSED, ECONNRESET): the fault's reason. */
  errno: string | undefined = undefined;
  /** Why a connect failed on this host ("EMFILE" ...), for a "local" failure. */
  localError = "";
  private readPaused = false;

  constructor(upstream: Upstream) {
    this.upstream = upstream;
    this.server = upstream.server;
    this.parser = new HttpParser<ResponseHead>(
      "response",
      {
        onHead: (h) => this.owner?.onUpHead(h),
        onBody: (b, s, e) => this.owner?.onUpBody(b, s, e),
        onData: (b, s, e) => this.owner?.onUpData(b, s, e),
        onEnd: () => this.owner?.onUpEnd(),
      },
      { pauseAfterEnd: true },
    );
    this.out.owner = this;
  }

  onOutBlocked(_o: Out, blocked: boolean): void {
    this.owner?.onUpBlocked(blocked);
  }

  get open(): boolean {
    return this.state === OPEN;
  }

  get connecting(): boolean {
    return this.state === CONNECTING;
  }

  /** Stop or resume reading the server (the client is not keeping up). */
  pauseRead(paused: boolean): void {
    if (paused === this.readPaused || !this.sock) return;
    this.readPaused = paused;
    if (paused) this.sock.pause();
    else this.sock.resume();
  }

  close(): void {
    this.owner = undefined;
    if (this.state === CLOSED) return;
    this.state = CLOSED;
    this.upstream.forget(this);
    this.sock?.end();
  }

  /** Hard close: a broken or abandoned exchange. */
  abort(): void {
    // Whatever is still corked or queued must not reach the server (a refused request's head).
    this.out.reset();
    this.out.dead = true;
    if (this.state === CLOSED) return;
    this.state = CLOSED;
    this.owner = undefined;
    this.upstream.forget(this);
    this.sock?.terminate();
  }

  // Socket events, routed here by the shared handlers below.
  onOpen(sock: Socket<ServerConn>): void {
    this.sock = sock;
    this.out.sock = sock;
    if (this.state === CLOSED) {
      sock.end();
      return;
    }
    this.state = OPEN;
    this.upstream.connecting.delete(this);
    sock.setNoDelay(true);
    this.out.flush();
    this.owner?.onUpOpen(this);
  }

  onData(buf: Buffer): void {
    const o = this.owner;
    if (!o) {
      // A pooled connection talking out of turn cannot be trusted with the next request.
      this.abort();
      return;
    }
    this.gotBytes = true;
    if (this.tunnel) {
      o.onUpRaw(buf);
      return;
    }
    o.out.cork();
    const err = this.parser.execute(buf);
    o.out.uncork();
    if (err && this.owner === o) o.onUpFail(this, "bad_response", err);
  }

  /** The connect failed for a reason of this host's: no server was involved. */
  onLocalFail(code: string): void {
    if (this.state === CLOSED) return;
    this.state = CLOSED;
    this.localError = code;
    this.upstream.forget(this);
    const o = this.owner;
    this.owner = undefined;
    this.upstream.opts.onLocalFailure?.(code);
    o?.onUpFail(this, "local");
  }

  onConnectError(err: unknown): void {
    const local = localConnectError(err);
    if (local !== undefined && this.state === CONNECTING) this.onLocalFail(local);
    else this.onClose(err);
  }

  onClose(sockErr?: unknown): void {
    const code = (sockErr as { code?: unknown } | undefined)?.code;
    if (typeof code === "string" && this.errno === undefined) this.errno = code;
    const was = this.state;
    this.state = CLOSED;
    this.upstream.forget(this);
    const o = this.owner;
    this.owner = undefined;
    if (!o || was === CLOSED) return;
    if (this.tunnel) {
      o.onUpFail(this, "closed");
      return;
    }
    // A close-delimited body ends here; anything else cut short is a failure.
    this.owner = o;
    o.out.cork();
    const err = this.parser.finish();
    o.out.uncork();
    const stillOwner = this.owner === o;
    this.owner = undefined;
    if (stillOwner) o.onUpFail(this, was === CONNECTING ? "refused" : err ? "bad_response" : "closed", err);
  }
}

export interface UpstreamOptions {
  maxIdle: number;
  idleTimeout: number;
  connectTimeout: number;
  now: () => number;
  /** Told of a connect that failed for a reason of this host's ("EMFILE" ...). */
  onLocalFailure?: (code: string) => void;
}

/** A defect in a server connection's handling costs that connection, not the process. */
function guard(s: Socket<ServerConn>, f: () => void): void {
  try {
    f();
  } catch (e) {
    log.error("Report this bug: a server connection handler failed", {
      server: s.data?.server.id,
      error: e instanceof Error ? e.stack : String(e),
    });
    try {
      s.terminate();
    } catch {}
  }
}

const handlers = {
  open: (s: Socket<ServerConn>) => guard(s, () => s.data.onOpen(s)),
  data: (s: Socket<ServerConn>, b: Buffer) => guard(s, () => s.data.onData(b)),
  drain: (s: Socket<ServerConn>) => guard(s, () => s.data.out.flush()),
  close: (s: Socket<ServerConn>, e?: Error) => guard(s, () => s.data.onClose(e)),
  error: (_s: Socket<ServerConn>) => {},
  connectError: (s: Socket<ServerConn>, e: unknown) => guard(s, () => s.data.onConnectError(e)),
};

/** TLS to the server: the connection opens when the handshake ends, and only if it verified. */
const tlsHandlers = {
  ...handlers,
  open: () => {},
  handshake: (s: Socket<ServerConn>, ok: boolean, err: Error | null) =>
    guard(s, () => {
      if (ok || s.data.upstream.tls?.rejectUnauthorized === false) s.data.onOpen(s);
      else {
        s.data.errno = serverHandshakeReason(err);
        s.terminate();
      }
    }),
};

/** All connections tcpvs holds to one server. */
export class Upstream {
  readonly server: ServerState;
  endpoint: Endpoint;
  private readonly idle: ServerConn[] = [];
  readonly connecting = new Set<ServerConn>();
  opts: UpstreamOptions;
  /** Connections opened since start (for tests and stats). */
  opened = 0;
  /** The pool's TLS to its servers ([pool.NAME.tls]), or plain TCP. */
  tls: TLSOptions | undefined;

  constructor(server: ServerState, endpoint: Endpoint, opts: UpstreamOptions) {
    this.server = server;
    this.endpoint = endpoint;
    this.opts = opts;
  }

  get idleCount(): number {
    return this.idle.length;
  }

  /** A pooled connection, or a new one (connecting; writes queue until it opens). */
  acquire(): ServerConn {
    while (this.idle.length > 0) {
      const c = this.idle.pop()!;
      // Bytes left after the last response (a server sending a body to HEAD) make it unusable.
      if (c.open && c.parser.buffered === 0) {
        c.reused = true;
        return c;
      }
      c.abort();
    }
    return this.connect();
  }

  connect(): ServerConn {
    const c = new ServerConn(this);
    const short = fdShortage();
    if (short !== undefined) {
      // Not an attempt at the server: reported after the caller has set up, like a refusal.
      queueMicrotask(() => c.onLocalFail(short));
      return c;
    }
    c.target = this.endpoint.text;
    c.deadline = this.opts.now() + this.opts.connectTimeout;
    this.connecting.add(c);
    this.opened++;
    this.server.totalConnections++;
    const ep = this.endpoint;
    const tls = this.tls;
    const socket = tls ? tlsHandlers : handlers;
    try {
      const p =
        ep.kind === "unix"
          ? Bun.connect<ServerConn>({ unix: ep.path, socket, data: c, tls })
          : Bun.connect<ServerConn>({ hostname: ep.host, port: ep.port, socket, data: c, tls });
      p.catch(() => {
        // connectError already reported it.
      });
    } catch {
      // Refused before trying (a bad address): report it like a refusal, after the caller has set up.
      queueMicrotask(() => c.onClose());
    }
    return c;
  }

  /** The exchange ended cleanly: keep the connection for the next request, within bounds. */
  release(c: ServerConn): void {
    c.owner = undefined;
    c.pauseRead(false);
    if (
      !c.open ||
      c.tunnel ||
      c.privateTo !== undefined ||
      c.target !== this.endpoint.text ||
      this.idle.length >= this.opts.maxIdle
    ) {
      c.close();
      return;
    }
    c.deadline = this.opts.now() + this.opts.idleTimeout;
    this.idle.push(c);
  }

  forget(c: ServerConn): void {
    this.connecting.delete(c);
    const i = this.idle.indexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
  }

  /** Close idle connections past their time and fail connects past theirs. */
  sweep(now: number): void {
    for (let i = this.idle.length - 1; i >= 0; i--) {
      const c = this.idle[i]!;
      if (c.deadline <= now) c.close();
    }
    for (const c of this.connecting) {
      if (c.deadline > now) continue;
      const o = c.owner;
      c.abort();
      o?.onUpFail(c, "connect_timeout");
    }
  }

  /** Close the pooled connections; exchanges in flight keep theirs (they close when done). */
  closeIdle(): void {
    for (const c of [...this.idle]) c.close();
  }

  closeAll(): void {
    for (const c of [...this.idle, ...this.connecting]) c.abort();
  }
}
