// One client connection in HTTP mode: parse a request, route it, pick a server, forward, relay the
// response, then the next request (pipelined ones wait their turn in the parser). Every wait has a
// deadline the switch's sweep enforces; every refusal has a status and a counter.

import type { Socket } from "bun";
import type { HttpError } from "../http/errors.ts";
import type { RequestHead, ResponseHead } from "../http/head.ts";
import { HttpParser } from "../http/parser.ts";
import { type PoolState, ServerState } from "../state/cluster.ts";
import type { PickContext } from "../sched/types.ts";
import { Out } from "./out.ts";
import { proxyV1, proxyV2 } from "./proxy-protocol.ts";
import {
  appendedFields,
  errorResponse,
  type ForwardOptions,
  requestHead,
  responseHead,
  responsePassesAsIs,
} from "./rewrite.ts";
import { cookieValue, headerOf, splitTarget } from "./rules.ts";
import type { LiveConn, VsRuntime } from "./runtime.ts";
import type { ServerConn, Upstream, UpFailure, UpstreamOwner } from "./upstream.ts";

/** Request bytes kept for a retry; a bigger body is streamed without a safety copy. */
const RETAIN_MAX = 64 * 1024;
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

// Why we stopped reading the client (bit mask).
const PAUSE_PIPELINE = 1;
const PAUSE_UPSTREAM = 2;

// Deadline kinds.
const D_NONE = 0;
const D_HEADER = 1;
const D_KEEPALIVE = 2;
const D_CONNECT = 3;
const D_RESPONSE = 4;
const D_IDLE = 5;

export class ClientConn implements UpstreamOwner, LiveConn {
  private readonly rt: VsRuntime;
  private readonly sock: Socket<ClientConn>;
  readonly out = new Out();
  private readonly parser: HttpParser<RequestHead>;
  private readonly ip: string;
  private readonly port: number;
  deadline = 0;
  private dkind = D_NONE;
  private paused = 0;
  private closing = false;
  private gotAny = false;
  private draining = false;
  private clientEof = false;

  // The exchange in progress.
  private req: RequestHead | undefined = undefined;
  private path = "";
  private query = "";
  private hashKey: string | undefined = undefined;
  private pool: PoolState | undefined = undefined;
  private server: ServerState | undefined = undefined;
  private up: ServerConn | undefined = undefined;
  // Request bytes sent so far, as ranges (chunk, start, end), kept for a retry. Arrays are reused.
  private readonly rc: Array<string | Uint8Array> = [];
  private readonly rs: number[] = [];
  private readonly re: number[] = [];
  private rn = 0;
  private retainedBytes = 0;
  private retainOk = true;
  private tries = 0;
  private reqDone = false;
  private respStarted = false;
  private respKeep = false;
  private dechunk = false;
  private tunnel = false;
  private started = 0;
  /** Fine-grained start of the current request, for the latency histogram. */
  private t0 = 0;
  private status = 0;
  private inData = false;
  private corkedUp: Out | undefined = undefined;
  /** Server of the current exchange, kept for the access log after the counters are settled. */
  private serverId: string | undefined = undefined;
  /** The last final response said the server keeps its side open. */
  private serverKeep = true;
  private privateConn: ServerConn | undefined = undefined;
  private readonly pick: PickContext;
  private readonly fwd: ForwardOptions;

  constructor(rt: VsRuntime, sock: Socket<ClientConn>) {
    this.rt = rt;
    this.sock = sock;
    this.out.sock = sock;
    this.ip = sock.remoteAddress;
    this.port = (sock as unknown as { remotePort?: number }).remotePort ?? 0;
    this.parser = new HttpParser<RequestHead>(
      "request",
      {
        onHead: (h) => this.onHead(h),
        onBody: (b, s, e) => this.onBody(b, s, e),
        onEnd: () => this.onEnd(),
      },
      rt.parserOpts,
    );
    this.out.onBlocked = () => this.up?.pauseRead(true);
    this.out.onUnblocked = () => this.up?.pauseRead(false);
    const self = this;
    this.pick = {
      sourceIp: this.ip,
      sourcePort: this.port,
      hashKey: undefined,
      http: {
        get method() {
          return self.req?.method ?? "";
        },
        get host() {
          return self.req?.host ?? "";
        },
        get uri() {
          return self.req?.target ?? "";
        },
        header: (n) => (self.req ? headerOf(self.req, n.toLowerCase()) : undefined),
        cookie: (n) => (self.req ? cookieValue(headerOf(self.req, "cookie"), n) : undefined),
      },
    };
    this.fwd = {
      clientIp: this.ip,
      clientPort: this.port,
      proto: "http",
      xForwardedFor: false,
      xForwardedProto: false,
      forwarded: false,
      localIp: "",
    };
    this.setDeadline(D_HEADER, rt.cfg.client_header_timeout);
  }

  private setDeadline(kind: number, ms: number): void {
    this.dkind = kind;
    this.deadline = kind === D_NONE || ms <= 0 ? 0 : this.rt.svc.now() + ms;
  }

  private setPaused(bit: number, on: boolean): void {
    const before = this.paused;
    this.paused = on ? before | bit : before & ~bit;
    if (before === 0 && this.paused !== 0) this.sock.pause();
    else if (before !== 0 && this.paused === 0) this.sock.resume();
  }

  // ---- client socket events ----

  onData(buf: Buffer): void {
    if (this.closing) return;
    if (this.tunnel) {
      this.up?.out.write(buf);
      this.setDeadline(D_IDLE, this.rt.cfg.idle_timeout);
      return;
    }
    if (!this.gotAny || this.dkind === D_KEEPALIVE) {
      this.gotAny = true;
      if (this.req === undefined) this.setDeadline(D_HEADER, this.rt.cfg.client_header_timeout);
    }
    this.inData = true;
    const err = this.parser.execute(buf);
    this.inData = false;
    // Refuse before uncorking: a request found bad in this read must not leave a byte for the server.
    if (err) this.refuse(err);
    if (this.corkedUp) {
      this.corkedUp.uncork();
      this.corkedUp = undefined;
    }
    if (err) return;
    if (this.parser.paused && this.parser.buffered > this.rt.cfg.max_header_size * 2) {
      this.setPaused(PAUSE_PIPELINE, true);
    }
  }

  onDrain(): void {
    this.out.flush();
  }

  onClose(): void {
    this.closing = true;
    this.out.dead = true;
    this.rt.conns.delete(this);
    const up = this.up;
    if (up) {
      // The client left: not the server's fault.
      this.endCounters(true);
      this.up = undefined;
      up.abort();
    }
    this.privateConn?.close();
    this.privateConn = undefined;
  }

  onEof(): void {
    // The client finished sending: a request in flight still gets its answer, then we close.
    this.clientEof = true;
    if (this.req === undefined && this.parser.buffered === 0) this.close();
    else if (this.req === undefined) {
      const err = this.parser.finish();
      if (err) this.refuse(err);
    }
  }

  // ---- request parser events ----

  private onHead(req: RequestHead): void {
    this.req = req;
    this.reqDone = false;
    this.respStarted = false;
    this.respKeep = false;
    this.dechunk = false;
    this.tries = 0;
    this.clearRetained();
    this.retainedBytes = 0;
    this.retainOk = true;
    this.started = this.rt.svc.now();
    this.t0 = performance.now();
    this.status = 0;
    this.serverId = undefined;
    this.setDeadline(D_NONE, 0);
    const t = splitTarget(req.target);
    this.path = t.path;
    this.query = t.query;
    const route = this.rt.router.route({ req, path: t.path, query: t.query, sourceIp: this.ip });
    this.hashKey = route.hashKey;
    this.pick.hashKey = route.hashKey;
    const pool = this.rt.pool(route.pool);
    this.pool = pool;
    const cfg = this.rt.cfg;
    const fo = this.fwd;
    fo.xForwardedFor = cfg.x_forwarded_for;
    fo.xForwardedProto = cfg.x_forwarded_proto;
    fo.forwarded = cfg.forwarded;
    if (cfg.forwarded && fo.localIp === "")
      fo.localIp = (this.sock as unknown as { localAddress?: string }).localAddress ?? "";
    const p = this.parser;
    const extra = p.headBuf ? appendedFields(req, fo) : undefined;
    if (extra !== undefined) {
      // The common case: the client's head unchanged, our fields appended.
      this.retain(p.headBuf!, p.headStart, p.headEnd - 2);
      this.retain(extra, 0, extra.length);
      this.retainedBytes = p.headEnd - 2 - p.headStart + extra.length;
    } else {
      let head: string | Uint8Array = requestHead(req, fo, req.upgrade !== undefined);
      if (!req.ascii) head = Buffer.from(head, "latin1");
      this.retain(head, 0, head.length);
      this.retainedBytes = head.length;
    }
    this.dispatch();
  }

  private onBody(b: Buffer, s: number, e: number): void {
    if (this.retainOk) {
      this.retainedBytes += e - s;
      if (this.retainedBytes > RETAIN_MAX) {
        this.retainOk = false;
        this.clearRetained();
      } else this.retain(b, s, e);
    }
    if (this.up) {
      this.upWrite(b, s, e);
      if (this.dkind === D_RESPONSE) this.setDeadline(D_RESPONSE, this.rt.cfg.server_response_timeout);
    }
  }

  private onEnd(): void {
    this.reqDone = true;
  }

  private retain(c: string | Uint8Array, s: number, e: number): void {
    const i = this.rn++;
    this.rc[i] = c;
    this.rs[i] = s;
    this.re[i] = e;
  }

  private clearRetained(): void {
    for (let i = 0; i < this.rn; i++) this.rc[i] = "";
    this.rn = 0;
  }

  private upWrite(c: string | Uint8Array, s: number, e: number): void {
    const o = this.up!.out;
    if (this.inData && this.corkedUp !== o) {
      this.corkedUp?.uncork();
      o.cork();
      this.corkedUp = o;
    }
    o.writeRange(c, s, e);
  }

  // ---- choosing a server ----

  private choose(): { server: ServerState; upstream: Upstream } | undefined {
    const pool = this.pool;
    if (!pool) return undefined;
    const svc = this.rt.svc;
    // keepalived's sorry_server: while the pool has lost quorum, traffic goes there, not to the few left.
    if (!pool.quorumUp) {
      const sorry = svc.sorry(pool.name);
      if (sorry) return sorry;
    }
    const picked = svc.schedulerFor(pool.name)?.pick(this.pick);
    if (picked) {
      // Schedulers are built over the pool's own ServerState objects: no lookup by id per request.
      const s = picked instanceof ServerState ? picked : pool.server(picked.id);
      if (s?.up) return { server: s, upstream: svc.upstream(pool.name, s) };
    }
    return svc.sorry(pool.name);
  }

  private dispatch(): void {
    const c = this.choose();
    if (!c) {
      this.rt.svc.cluster.count(this.pool ? "reject.no_server" : "reject.no_pool");
      this.answer(503, this.pool ? "no_server" : "no_pool");
      return;
    }
    const { server, upstream } = c;
    let conn: ServerConn;
    const pp = this.rt.cfg.proxy_protocol;
    if (pp !== 0) {
      const mine = this.privateConn;
      this.privateConn = undefined;
      if (mine?.open && mine.server === server) {
        conn = mine;
        conn.reused = true;
      } else {
        mine?.close();
        conn = upstream.connect();
        conn.privateTo = this;
        const addrs = {
          srcIp: this.ip,
          srcPort: this.port,
          dstIp: (this.sock as unknown as { localAddress?: string }).localAddress ?? "",
          dstPort: (this.sock as unknown as { localPort?: number }).localPort ?? 0,
        };
        conn.out.write(pp === 1 ? proxyV1(addrs) : proxyV2(addrs));
      }
    } else conn = upstream.acquire();
    conn.owner = this;
    conn.gotBytes = false;
    conn.parser.resume();
    conn.parser.requestMethod = this.req!.method;
    this.up = conn;
    this.server = server;
    this.serverId = server.id;
    server.active++;
    server.inflight++;
    server.requests++;
    for (let i = 0; i < this.rn; i++) this.upWrite(this.rc[i]!, this.rs[i]!, this.re[i]!);
    if (conn.open) this.setDeadline(D_RESPONSE, this.rt.cfg.server_response_timeout);
    else this.setDeadline(D_CONNECT, this.rt.cfg.server_connect_timeout);
  }

  private endCounters(ok: boolean): void {
    const s = this.server;
    if (!s) return;
    s.active--;
    s.inflight--;
    if (!ok) s.errors++;
    const sched = this.pool ? this.rt.svc.schedulerFor(this.pool.name) : undefined;
    sched?.done?.(s, this.rt.svc.now() - this.started, ok);
    this.server = undefined;
  }

  // ---- server events ----

  onUpOpen(_c: ServerConn): void {
    if (this.dkind === D_CONNECT) this.setDeadline(D_RESPONSE, this.rt.cfg.server_response_timeout);
  }

  onUpHead(h: ResponseHead): void {
    const req = this.req!;
    if (h.status < 200 && h.status !== 101) {
      if (req.versionMinor >= 1)
        this.out.write(
          responseHead(h, { keepAlive: true, clientMinor: 1, dechunk: false, setCookie: undefined }),
        );
      return;
    }
    if (h.status === 101) {
      if (req.upgrade === undefined) {
        this.upFailed("bad_response", 502, "unexpected_101");
        return;
      }
      this.status = 101;
      this.respStarted = true;
      this.out.write(
        responseHead(h, { keepAlive: true, clientMinor: 1, dechunk: false, setCookie: undefined }),
      );
      this.startTunnel();
      return;
    }
    this.respStarted = true;
    this.status = h.status;
    this.serverKeep = h.keepAlive;
    const bodiless = req.method === "HEAD" || h.status === 204 || h.status === 304;
    const closeDelimited = !bodiless && !h.chunked && (h.contentLength < 0 || h.teNotChunked);
    this.respKeep =
      req.keepAlive &&
      this.reqDone &&
      !closeDelimited &&
      !this.draining &&
      !this.rt.draining &&
      !this.clientEof;
    this.dechunk = req.versionMinor === 0 && h.chunked && !bodiless;
    let setCookie: string | undefined;
    // Cookie persistence: the scheduler honours the cookie; the switch inserts it when it is missing
    // or names another server (HAProxy's `cookie NAME insert`). Values are opaque hashes of the id.
    const cookie = this.pool ? this.rt.svc.cookieFor?.(this.pool.name) : undefined;
    if (cookie && this.server && this.server.pool === this.pool?.name) {
      const want = cookie.value(this.server);
      if (cookieValue(headerOf(req, "cookie"), cookie.name) !== want) {
        setCookie = `${cookie.name}=${want}; Path=/; HttpOnly`;
      }
    }
    const ro = { keepAlive: this.respKeep, clientMinor: req.versionMinor, dechunk: this.dechunk, setCookie };
    const p = this.up?.parser;
    if (p?.headBuf && responsePassesAsIs(h, ro)) this.out.writeRange(p.headBuf, p.headStart, p.headEnd);
    else {
      const head = responseHead(h, ro);
      this.out.write(h.ascii ? head : Buffer.from(head, "latin1"));
    }
    this.setDeadline(D_IDLE, this.rt.cfg.idle_timeout);
  }

  onUpBody(b: Buffer, s: number, e: number): void {
    if (!this.dechunk) this.out.writeRange(b, s, e);
    if (this.dkind === D_IDLE) this.setDeadline(D_IDLE, this.rt.cfg.idle_timeout);
  }

  onUpData(b: Buffer, s: number, e: number): void {
    if (this.dechunk) this.out.writeRange(b, s, e);
  }

  onUpEnd(): void {
    const up = this.up!;
    const keepServer = this.reqDone && this.serverKeep && up.parser.buffered === 0;
    this.up = undefined;
    this.endCounters(true);
    this.accessLog();
    if (keepServer && !up.tunnel) {
      if (up.privateTo !== undefined) {
        up.owner = undefined;
        this.privateConn = up;
      } else up.upstream.release(up);
    } else up.close();
    this.req = undefined;
    if (!this.respKeep || this.clientEof) {
      this.close();
      return;
    }
    this.setDeadline(D_KEEPALIVE, this.rt.cfg.client_keepalive_timeout);
    this.setPaused(PAUSE_PIPELINE, false);
    if (this.parser.buffered > 0) this.setDeadline(D_HEADER, this.rt.cfg.client_header_timeout);
    const err = this.parser.resume();
    if (err) this.refuse(err);
  }

  onUpFail(c: ServerConn, why: UpFailure, err?: HttpError): void {
    if (c !== this.up) return;
    if (this.tunnel) {
      this.up = undefined;
      this.endCounters(true);
      this.close();
      return;
    }
    const svc = this.rt.svc;
    const nothingBack = !c.gotBytes && !this.respStarted;
    const neverSent = why === "refused" || why === "connect_timeout";
    const safe =
      nothingBack &&
      this.retainOk &&
      (neverSent || (why === "closed" && (c.reused || IDEMPOTENT.has(this.req?.method ?? ""))));
    // A pooled connection the server timed out is not the server's fault and costs no retry.
    const free = why === "closed" && c.reused && nothingBack;
    if (safe && (free || this.tries < this.rt.cfg.retries)) {
      if (!free) this.tries++;
      svc.cluster.count(free ? "retry.reused_closed" : "retry");
      if (why === "connect_timeout") svc.cluster.count("timeout.server_connect");
      this.up = undefined;
      c.abort();
      this.endCounters(free);
      this.dispatch();
      return;
    }
    if (why === "connect_timeout") svc.cluster.count("timeout.server_connect");
    if (why === "bad_response") svc.cluster.count("reject.bad_response");
    const status = why === "connect_timeout" ? 504 : 502;
    this.upFailed(why, status, err?.code ?? why);
  }

  private upFailed(_why: UpFailure | "bad_response", status: number, code: string): void {
    const up = this.up;
    this.up = undefined;
    up?.abort();
    this.endCounters(false);
    if (this.respStarted) {
      this.accessLog();
      this.destroy();
      return;
    }
    this.answer(status, code);
  }

  onUpRaw(buf: Buffer): void {
    this.out.write(buf);
    this.setDeadline(D_IDLE, this.rt.cfg.idle_timeout);
  }

  onUpBlocked(blocked: boolean): void {
    this.setPaused(PAUSE_UPSTREAM, blocked);
  }

  private startTunnel(): void {
    const up = this.up!;
    this.tunnel = true;
    up.tunnel = true;
    const fromServer = up.parser.upgrade();
    if (fromServer) this.out.write(fromServer);
    const fromClient = this.parser.upgrade();
    if (fromClient) up.out.write(fromClient);
    this.setPaused(PAUSE_PIPELINE, false);
    this.setDeadline(D_IDLE, this.rt.cfg.idle_timeout);
  }

  // ---- answers, closing, timeouts ----

  private refuse(err: HttpError): void {
    this.rt.svc.cluster.count(`reject.${err.code}`);
    const up = this.up;
    if (up) {
      this.up = undefined;
      up.abort();
      this.endCounters(false);
    }
    if (this.respStarted) {
      this.destroy();
      return;
    }
    this.answer(err.status, err.code);
  }

  /** Answer from tcpvs itself and close. */
  private answer(status: number, code: string): void {
    this.status = status;
    this.rt.svc.log.debug("refused request", { vs: this.rt.cfg.name, client: this.ip, status, code });
    if (this.req) this.accessLog();
    this.out.write(errorResponse(status, code));
    this.close();
  }

  /** Graceful close once everything queued has gone out. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.setDeadline(D_IDLE, this.rt.cfg.idle_timeout);
    this.setPaused(PAUSE_PIPELINE, true);
    this.out.end();
  }

  destroy(): void {
    this.closing = true;
    this.sock.terminate();
  }

  drain(): void {
    this.draining = true;
    if (this.req === undefined) this.close();
  }

  onDeadline(_now: number): void {
    const count = (n: string) => this.rt.svc.cluster.count(n);
    if (this.closing) {
      this.destroy();
      return;
    }
    switch (this.dkind) {
      case D_HEADER:
        count("timeout.client_header");
        if (this.gotAny) this.answer(408, "client_header_timeout");
        else this.close();
        return;
      case D_KEEPALIVE:
        count("timeout.client_keepalive");
        this.close();
        return;
      case D_CONNECT: {
        const up = this.up;
        if (up) this.onUpFail(up, "connect_timeout");
        return;
      }
      case D_RESPONSE:
        count("timeout.server_response");
        this.upFailed("closed", 504, "server_response_timeout");
        return;
      case D_IDLE:
        count(this.tunnel ? "timeout.tunnel" : "timeout.idle");
        if (this.up) this.upFailed("closed", 504, "idle_timeout");
        else this.destroy();
        return;
    }
  }

  private accessLog(): void {
    if (!this.req) return;
    this.rt.svc.observe?.(
      this.rt.cfg.name,
      this.pool?.name,
      this.status,
      (performance.now() - this.t0) / 1000,
    );
    if (!this.rt.cfg.access_log) return;
    const r = this.req;
    this.rt.svc.log.info("access", {
      vs: this.rt.cfg.name,
      client: this.ip,
      method: r.method,
      host: r.host,
      uri: r.target,
      status: this.status,
      pool: this.pool?.name,
      server: this.serverId,
      ms: this.rt.svc.now() - this.started,
    });
  }
}
