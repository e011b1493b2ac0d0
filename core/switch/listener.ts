// One client connection in HTTP mode: parse a request, route it, pick a server, forward, relay the
// response, then the next request (pipelined ones wait their turn in the parser). ClientConn is the
// coordinator of one exchange at a time; the parts with a policy of their own live beside it: the
// request bytes kept for a retry or a held body (retained.ts), the retry decision (retry.ts), the
// waits and their timeouts (deadlines.ts), the server choice and its counters (server-choice.ts), the
// head and PROXY header a server gets (forwarding.ts), the response to the client
// (response-relay.ts) and the access record (access-log.ts).
//
// A chunked request is held (nginx's proxy_request_buffering, bounded): no server is chosen until its
// body has been parsed to the end, so a malformed chunk in any later read is still answered with its
// 4xx before a server sees a byte. Only a body past RETAIN_MAX (64 KiB, the bytes kept for a retry
// anyway) goes out before it is checked; an error after that aborts the server's connection mid-body
// (it never gets a complete message) and is counted as reject.<code> like any other.

import type { Socket } from "bun";
import type { HttpError } from "../http/errors.ts";
import type { RequestHead, ResponseHead } from "../http/head.ts";
import { HttpParser, type ParserHandler } from "../http/parser.ts";
import { accessLog } from "./access-log.ts";
import {
  D_CONNECT,
  D_HEADER,
  D_IDLE,
  D_KEEPALIVE,
  D_NONE,
  D_RESPONSE,
  expiry,
  timeoutFor,
  X_ANSWER,
  X_CLOSE,
  X_CONNECT_FAILED,
  X_DESTROY,
  X_SERVER_FAILED,
} from "./deadlines.ts";
import { Forwarding } from "./forwarding.ts";
import { Out, type OutOwner } from "./out.ts";
import { ServerChoice } from "./server-choice.ts";
import { R_BAD_UPGRADE, R_FINAL, R_UPGRADE, ResponseRelay } from "./response-relay.ts";
import { Retained } from "./retained.ts";
import { GIVE_UP, RETRY_FREE, retryDecision } from "./retry.ts";
import { errorResponse } from "./rewrite.ts";
import { splitTarget } from "./rules.ts";
import type { IdleConn } from "./conn-ceiling.ts";
import type { LiveConn, VsRuntime } from "./runtime.ts";
import type { ServerConn, UpFailure, UpstreamOwner } from "./upstream.ts";

// Why we stopped reading the client (bit mask).
const PAUSE_PIPELINE = 1;
const PAUSE_UPSTREAM = 2;

/**
 * The request parser's events, passed to the connection: one small object with methods on its
 * prototype rather than three closures per connection (an idle connection is mostly such objects).
 * Not the connection itself: its onData is the socket's.
 */
class RequestEvents implements ParserHandler<RequestHead> {
  constructor(private readonly c: ClientConn) {}
  onHead(h: RequestHead): void {
    this.c.onHead(h);
  }
  onBody(b: Buffer, s: number, e: number): void {
    this.c.onBody(b, s, e);
  }
  onEnd(): void {
    this.c.onEnd();
  }
}

/** How long a connection closed to make room may take to finish its close before it is cut. */
const REAP_CLOSE_MS = 1000;

export class ClientConn implements UpstreamOwner, LiveConn, IdleConn, OutOwner {
  private readonly rt: VsRuntime;
  private readonly sock: Socket<ClientConn>;
  readonly out = new Out();
  private readonly relay = new ResponseRelay(this.out);
  private readonly parser: HttpParser<RequestHead>;
  private readonly ip: string;
  private readonly port: number;
  deadline = 0;
  /** Coarse clock (ms) when it went idle between requests (while in rt.idle). */
  idleSince = 0;
  private dkind = D_NONE;
  private paused = 0;
  private closing = false;
  private gotAny = false;
  private draining = false;
  private clientEof = false;

  // The exchange in progress.
  private req: RequestHead | undefined = undefined;
  private up: ServerConn | undefined = undefined;
  /** The request's bytes for the server: replayed on a retry, or held until a chunked body is checked. */
  private readonly kept = new Retained();
  private tries = 0;
  /** A chunked request held back until its body is checked (or outgrows `kept`). */
  private holding = false;
  private reqDone = false;
  private tunnel = false;
  /** Fine-grained start of the current request, for the latency histogram. */
  private t0 = 0;
  private status = 0;
  private inData = false;
  private corkedUp: Out | undefined = undefined;
  private readonly choice: ServerChoice;
  private readonly fwd: Forwarding;

  constructor(rt: VsRuntime, sock: Socket<ClientConn>) {
    this.rt = rt;
    this.sock = sock;
    this.out.sock = sock;
    this.ip = sock.remoteAddress;
    this.port = (sock as unknown as { remotePort?: number }).remotePort ?? 0;
    this.parser = new HttpParser<RequestHead>("request", new RequestEvents(this), rt.parserOpts);
    this.out.owner = this;
    this.choice = new ServerChoice(rt.svc, this.ip, this.port);
    this.fwd = new Forwarding(sock, this.ip, this.port);
    this.setDeadline(D_HEADER);
  }

  private setDeadline(kind: number): void {
    this.dkind = kind;
    const ms = timeoutFor(kind, this.rt.cfg);
    this.deadline = ms <= 0 ? 0 : this.rt.svc.now() + ms;
  }

  /** The client is not taking the response as fast as the server sends it. */
  onOutBlocked(_o: Out, blocked: boolean): void {
    this.up?.pauseRead(blocked);
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
    if (this.idleSince !== 0) this.notIdle();
    if (this.tunnel) {
      this.up?.out.write(buf);
      this.setDeadline(D_IDLE);
      return;
    }
    if (!this.gotAny || this.dkind === D_KEEPALIVE) {
      this.gotAny = true;
      if (this.req === undefined) this.setDeadline(D_HEADER);
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
    if (this.idleSince !== 0) this.notIdle();
    const up = this.up;
    if (up) {
      // The client left: not the server's fault.
      this.choice.end(true);
      this.up = undefined;
      up.abort();
    }
    this.fwd.close();
  }

  onEof(): void {
    // The client finished sending: a request in flight still gets its answer, then we close.
    this.clientEof = true;
    if (this.req === undefined && this.parser.buffered === 0) this.close();
    else if (this.req === undefined || this.holding) {
      // A partial head, or a held body, that can no longer be completed: refused, no server involved.
      const err = this.parser.finish();
      if (err) this.refuse(err);
    }
  }

  // ---- request parser events ----

  /** Parser event (via RequestEvents). */
  onHead(req: RequestHead): void {
    this.req = req;
    this.reqDone = false;
    this.relay.reset();
    this.tries = 0;
    this.t0 = performance.now();
    this.status = 0;
    const t = splitTarget(req.target);
    const route = this.rt.router.route({ req, path: t.path, query: t.query, sourceIp: this.ip });
    this.choice.start(req, this.rt.pool(route.pool), route.hashKey);
    this.kept.reset();
    const p = this.parser;
    this.fwd.keepHead(this.kept, req, p, this.rt.cfg);
    if (req.chunked) {
      // Held: no server sees a byte until the body has been checked to its end or outgrows what we
      // keep (onBody, onEnd). The client header deadline keeps running meanwhile: a body held here
      // must arrive as promptly as the head.
      this.holding = true;
      if (this.dkind !== D_HEADER) this.setDeadline(D_HEADER);
      // A client waiting for 100 Continue sent no body byte with its head; one that did is not waiting.
      if (req.expectContinue && req.versionMinor >= 1 && p.headEnd >= p.headBuf!.length)
        this.relay.sendContinue();
      return;
    }
    this.setDeadline(D_NONE);
    this.dispatch();
  }

  /** Parser event (via RequestEvents). */
  onBody(b: Buffer, s: number, e: number): void {
    const kept = this.kept;
    if (kept.whole) {
      if (kept.fits(e - s)) kept.add(b, s, e);
      else {
        // Too big to hold: a held request goes to a server now, what follows streams (a bad chunk
        // from here on can only cut the server's connection) and no retry is possible.
        if (this.holding) this.release();
        kept.drop();
      }
    }
    if (this.up) {
      this.upWrite(b, s, e);
      if (this.dkind === D_RESPONSE) this.setDeadline(D_RESPONSE);
    }
  }

  /** Parser event (via RequestEvents). */
  onEnd(): void {
    this.reqDone = true;
    if (this.holding) this.release();
  }

  /** A held request is checked (or too big to hold): send it. */
  private release(): void {
    this.holding = false;
    this.dispatch();
  }

  /** Cork the server's writer for the rest of this read: the bytes of one read go out in one send. */
  private corkUp(o: Out): void {
    if (this.inData && this.corkedUp !== o) {
      this.corkedUp?.uncork();
      o.cork();
      this.corkedUp = o;
    }
  }

  private upWrite(c: string | Uint8Array, s: number, e: number): void {
    const o = this.up!.out;
    this.corkUp(o);
    o.writeRange(c, s, e);
  }

  // ---- the server ----

  private dispatch(): void {
    const choice = this.choice;
    const c = choice.choose();
    if (!c) {
      const pool = choice.pool !== undefined;
      this.rt.svc.cluster.count(pool ? "reject.no_server" : "reject.no_pool");
      this.answer(503, pool ? "no_server" : "no_pool");
      return;
    }
    const conn = this.fwd.serverConn(choice, c.upstream, this.rt.cfg.proxy_protocol);
    choice.begin(c.server);
    conn.owner = this;
    conn.gotBytes = false;
    conn.parser.resume();
    conn.parser.requestMethod = this.req!.method;
    this.up = conn;
    this.corkUp(conn.out);
    this.kept.writeTo(conn.out);
    this.setDeadline(conn.open ? D_RESPONSE : D_CONNECT);
  }

  onUpOpen(_c: ServerConn): void {
    if (this.dkind === D_CONNECT) this.setDeadline(D_RESPONSE);
  }

  onUpHead(h: ResponseHead): void {
    const mayKeep = this.reqDone && !this.draining && !this.rt.draining && !this.clientEof;
    switch (this.relay.head(h, this.up!.parser, this.req!, mayKeep, this.choice.setCookie())) {
      case R_FINAL:
        this.status = h.status;
        this.setDeadline(D_IDLE);
        return;
      case R_UPGRADE:
        this.status = 101;
        this.startTunnel();
        return;
      case R_BAD_UPGRADE:
        this.upFailed(502, "unexpected_101");
        return;
    }
  }

  onUpBody(b: Buffer, s: number, e: number): void {
    this.relay.body(b, s, e);
    if (this.dkind === D_IDLE) this.setDeadline(D_IDLE);
  }

  onUpData(b: Buffer, s: number, e: number): void {
    this.relay.data(b, s, e);
  }

  onUpEnd(): void {
    const up = this.up!;
    const keepServer = this.reqDone && this.relay.serverKeep && up.parser.buffered === 0;
    this.up = undefined;
    this.choice.end(true);
    this.logRequest();
    if (keepServer && !up.tunnel) this.fwd.release(up);
    else up.close();
    this.req = undefined;
    this.choice.req = undefined;
    // No retry can follow: let go of the request's bytes now, not at the next request (an idle
    // keep-alive connection would hold up to RETAIN_MAX of its last request for as long as it idles).
    if (this.reqDone) this.kept.reset();
    else this.kept.drop();
    if (!this.relay.keepClient || this.clientEof) {
      this.close();
      return;
    }
    this.setDeadline(D_KEEPALIVE);
    this.setPaused(PAUSE_PIPELINE, false);
    if (this.parser.buffered > 0) this.setDeadline(D_HEADER);
    const err = this.parser.resume();
    if (err) this.refuse(err);
    else if (this.req === undefined && this.parser.buffered === 0 && !this.closing) {
      this.idleSince = this.rt.svc.now() || 1;
      this.rt.idle.add(this);
    }
  }

  private notIdle(): void {
    this.idleSince = 0;
    this.rt.idle.delete(this);
  }

  /** Closed to make room for a new connection (it is idle: nothing is lost). */
  reap(): void {
    this.notIdle();
    this.rt.svc.cluster.count("close.idle_reaped");
    this.close();
    // A client that does not close its side in turn is cut soon: the slot is wanted now.
    this.deadline = this.rt.svc.now() + REAP_CLOSE_MS;
  }

  onUpFail(c: ServerConn, why: UpFailure, err?: HttpError): void {
    if (c !== this.up) return;
    if (this.tunnel) {
      this.up = undefined;
      this.choice.end(true);
      this.close();
      return;
    }
    const count = this.rt.svc.cluster;
    if (why === "local") {
      // Out of descriptors or local ports: the server is not to blame and another would fare no better.
      const code = `local_${c.localError.toLowerCase()}`;
      count.count(`reject.${code}`);
      this.up = undefined;
      this.choice.cancel();
      if (this.relay.started) this.destroy();
      else this.answer(503, code);
      return;
    }
    if (why === "connect_timeout") count.count("timeout.server_connect");
    const nothingBack = !c.gotBytes && !this.relay.started;
    const d = retryDecision(
      why,
      nothingBack,
      this.kept.whole,
      c.reused,
      this.req?.method ?? "",
      this.tries,
      this.rt.cfg.retries,
    );
    if (d !== GIVE_UP) {
      const free = d === RETRY_FREE;
      if (!free) this.tries++;
      count.count(free ? "retry.reused_closed" : "retry");
      this.up = undefined;
      c.abort();
      this.choice.end(free);
      this.dispatch();
      return;
    }
    if (why === "bad_response") count.count("reject.bad_response");
    this.upFailed(why === "connect_timeout" ? 504 : 502, err?.code ?? why);
  }

  /** Give up on the server: answer the client, or cut it when the response had started. */
  private upFailed(status: number, code: string): void {
    const up = this.up;
    this.up = undefined;
    up?.abort();
    this.choice.end(false);
    if (this.relay.started) {
      this.logRequest();
      this.destroy();
      return;
    }
    this.answer(status, code);
  }

  onUpRaw(buf: Buffer): void {
    this.out.write(buf);
    this.setDeadline(D_IDLE);
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
    this.setDeadline(D_IDLE);
  }

  // ---- answers, closing, timeouts ----

  private refuse(err: HttpError): void {
    this.rt.svc.cluster.count(`reject.${err.code}`);
    const up = this.up;
    if (up) {
      this.up = undefined;
      up.abort();
      this.choice.end(false);
    }
    if (this.relay.started) {
      this.destroy();
      return;
    }
    this.answer(err.status, err.code);
  }

  /** Answer from tcpvs itself and close. */
  private answer(status: number, code: string): void {
    this.status = status;
    this.holding = false;
    this.rt.svc.log.debug("refused request", { vs: this.rt.cfg.name, client: this.ip, status, code });
    this.logRequest(code);
    this.out.write(errorResponse(status, code));
    this.close();
  }

  /** Graceful close once everything queued has gone out. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    if (this.idleSince !== 0) this.notIdle();
    this.setDeadline(D_IDLE);
    this.setPaused(PAUSE_PIPELINE, true);
    this.out.end();
  }

  destroy(): void {
    this.closing = true;
    if (this.idleSince !== 0) this.notIdle();
    this.sock.terminate();
  }

  drain(): void {
    this.draining = true;
    if (this.req === undefined) this.close();
  }

  onDeadline(_now: number): void {
    const x = expiry(this.dkind, this.closing, this.gotAny, this.up !== undefined, this.tunnel);
    if (x.counter !== undefined) this.rt.svc.cluster.count(x.counter);
    switch (x.act) {
      case X_DESTROY:
        this.destroy();
        return;
      case X_CLOSE:
        this.close();
        return;
      case X_ANSWER:
        this.answer(x.status, x.code);
        return;
      case X_CONNECT_FAILED:
        this.onUpFail(this.up!, "connect_timeout");
        return;
      case X_SERVER_FAILED:
        this.upFailed(x.status, x.code);
        return;
    }
  }

  private logRequest(code?: string): void {
    const req = this.req;
    if (!req) return;
    const c = this.choice;
    accessLog(this.rt, req, this.ip, c.pool?.name, c.serverId, this.status, c.started, this.t0, code);
  }
}
