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
//
// What a connection holds before forwarding (a held body, a partial head, pipelined requests) counts
// against one budget for the whole switch (held-budget.ts): the connection reports its figure after
// every event that may change it, and stops reading while the budget is spent.

import type { Socket } from "bun";
import type { HttpError } from "../http/errors.ts";
import type { RequestHead, ResponseHead } from "../http/head.ts";
import { HttpParser, type ParserHandler } from "../http/parser.ts";
import { AccessRecord, accessLog } from "./access-log.ts";
import {
  A_POOL,
  applyRequestEdits,
  errorAnswer,
  type OwnAnswer,
  ownAnswer,
  type ResponseEdits,
} from "./actions.ts";
import {
  D_CLIENT,
  D_CONNECT,
  D_HEADER,
  D_IDLE,
  D_KEEPALIVE,
  D_NONE,
  D_RESPONSE,
  D_QUEUE,
  D_SERVER,
  expiry,
  timeoutFor,
  X_ANSWER,
  X_CLIENT_FAILED,
  X_CLOSE,
  X_CONNECT_FAILED,
  X_DESTROY,
  X_QUEUE_TIMEOUT,
  X_SERVER_FAILED,
} from "./deadlines.ts";
import { Forwarding } from "./forwarding.ts";
import { normaliseRequest } from "./normalise-request.ts";
import type { HeldWaiter } from "./held-budget.ts";
import { Out, type OutOwner } from "./out.ts";
import { type Choice, ServerChoice } from "./server-choice.ts";
import { mayQueue, type QueueWaiter } from "./queue.ts";
import { R_BAD_UPGRADE, R_FINAL, R_UPGRADE, ResponseRelay } from "./response-relay.ts";
import { faultReason } from "./server-fault.ts";
import { parseProxyHeader } from "./proxy-in.ts";
import { Retained } from "./retained.ts";
import { GIVE_UP, RETRY_FREE, retryDecision } from "./retry.ts";
import { splitTarget } from "./rules.ts";
import type { IdleConn } from "./conn-ceiling.ts";
import type { LiveConn, VsRuntime } from "./runtime.ts";
import type { SourceCounter } from "./source-counts.ts";
import type { ServerConn, UpFailure, UpstreamOwner } from "./upstream.ts";
import { serverNameOf } from "../tls/listener-tls.ts";

const EMPTY = Buffer.alloc(0);

// Why we stopped reading the client (bit mask).
const PAUSE_PIPELINE = 1;
const PAUSE_UPSTREAM = 2;
const PAUSE_BUDGET = 4;
const PAUSE_QUEUE = 8;

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

export class ClientConn implements UpstreamOwner, LiveConn, IdleConn, OutOwner, HeldWaiter, QueueWaiter {
  private readonly rt: VsRuntime;
  private readonly sock: Socket<ClientConn>;
  readonly out = new Out();
  private readonly relay = new ResponseRelay(this.out);
  private readonly parser: HttpParser<RequestHead>;
  private ip: string;
  private port: number;
  /** accept_proxy: the bytes of a PROXY header still being read; undefined once read (or not expected). */
  private proxyPending: Buffer | undefined = undefined;
  /** Counted in the virtual server's connections per source (left on close). */
  /** Where this connection counts for max_connections_per_source (it leaves there). */
  private counted: SourceCounter | undefined;
  /**
   * The current request's access record, made when the virtual server first logs one (an idle
   * connection without an access log holds none); filled only while `stamps`.
   */
  private rec: AccessRecord | undefined = undefined;
  private stamps = false;
  /** The response modifiers of the current request's rule and virtual server. */
  private resEdits: ResponseEdits | undefined = undefined;
  /** The pool whose queue holds the current request, while it waits for a server slot. */
  private queuedOn: string | undefined = undefined;
  /** tcpvs answered the current request itself and keeps the connection (redirect, return). */
  private ownAnswered = false;
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
  /** The current request's access record was written (once per request, whatever ends it). */
  private logged = false;
  /** Bytes held before forwarding, as last reported to the budget. */
  heldBytes = 0;
  /** The wait (D_HEADER, D_KEEPALIVE) put off while the budget keeps this idle client unread; 0: none. */
  private heldSuspended = 0;
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
    this.choice = new ServerChoice(rt.svc, this.ip, this.port, rt.cfg.name);
    this.fwd = new Forwarding(sock, this.ip, this.port);
    // With accept_proxy the client is known from the PROXY header; Switch.accept counted the others.
    this.counted = rt.proxyFrom === undefined ? rt.perSource : undefined;
    if (!this.counted) this.proxyPending = EMPTY;
    this.setDeadline(D_HEADER);
  }

  private setDeadline(kind: number): void {
    this.dkind = kind;
    const ms = timeoutFor(kind, this.rt.cfg);
    this.deadline = ms <= 0 ? 0 : this.rt.svc.now() + ms;
  }

  private setPaused(bit: number, on: boolean): void {
    const before = this.paused;
    this.paused = on ? before | bit : before & ~bit;
    if (before === 0 && this.paused !== 0) this.sock.pause();
    else if (before !== 0 && this.paused === 0) this.sock.resume();
  }

  // ---- client socket events ----

  onData(data: Buffer): void {
    if (this.closing) return;
    if (this.idleSince !== 0) this.notIdle();
    let buf = data;
    if (this.proxyPending !== undefined) {
      const rest = this.readProxy(buf);
      if (rest === undefined) return;
      buf = rest;
    }
    if (this.tunnel) {
      this.up?.out.write(buf);
      this.setDeadline(D_IDLE);
      return;
    }
    if (!this.gotAny || this.dkind === D_KEEPALIVE) {
      this.gotAny = true;
      if (this.req === undefined) this.setDeadline(D_HEADER);
    }
    if (this.req === undefined && this.rt.accessLogger !== undefined) {
      const rec = this.record();
      if (rec.first === 0) rec.first = performance.now();
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
    if (!err && this.parser.paused && this.parser.buffered > this.rt.cfg.max_header_size * 2) {
      this.setPaused(PAUSE_PIPELINE, true);
    }
    this.syncHeld();
  }

  onDrain(): void {
    this.out.flush();
  }

  onClose(): void {
    this.closing = true;
    this.out.dead = true;
    this.rt.conns.delete(this);
    if (this.idleSince !== 0) this.notIdle();
    this.counted?.leave(this.ip);
    this.leaveQueue();
    const held = this.heldBytes;
    this.heldBytes = 0;
    this.rt.svc.held?.leave(this, held);
    // A request still in progress ends here: the client left before its response was complete.
    if (!this.tunnel) this.logRequest("client_abort");
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
    this.syncHeld();
  }

  // ---- the held-bytes budget ----

  /** Report what this connection holds before forwarding: a held body, a partial head, pipelined bytes. */
  private syncHeld(): void {
    const n = (this.holding ? this.kept.bytes : 0) + this.parser.buffered;
    const before = this.heldBytes;
    this.heldBytes = n;
    // Told even when unchanged: a read, held or not, ends the slice a resumed waiter was granted.
    this.rt.svc.held?.change(this, before, n);
  }

  heldPause(): void {
    this.rt.svc.cluster.count("held.wait");
    this.setPaused(PAUSE_BUDGET, true);
    const k = this.dkind;
    if (
      this.heldBytes === 0 &&
      this.up === undefined &&
      !this.closing &&
      (k === D_HEADER || k === D_KEEPALIVE)
    ) {
      // An idle client holding nothing (new, or between requests): its next request may already be
      // in the kernel, unread because of us. Its timeout starts afresh when it may read again.
      this.heldSuspended = k;
      this.deadline = 0;
    }
  }

  heldResume(): void {
    this.setPaused(PAUSE_BUDGET, false);
    const k = this.heldSuspended;
    if (k !== 0) {
      this.heldSuspended = 0;
      if (!this.closing && this.dkind === k) this.setDeadline(k);
    }
  }

  /** The budget ran out: stop reading unless what comes next goes straight to a server. */
  heldSpent(): void {
    if (this.closing || this.tunnel) return;
    if (this.up !== undefined && !this.reqDone && !this.holding) return;
    this.rt.svc.held?.wait(this);
  }

  // ---- request parser events ----

  /** Parser event (via RequestEvents). */
  onHead(req: RequestHead): void {
    this.req = req;
    this.logged = false;
    this.reqDone = false;
    this.relay.reset();
    this.tries = 0;
    this.t0 = performance.now();
    this.status = 0;
    // An absolute-form target or an Upgrade is settled before anything reads the head.
    if (req.upgrade !== undefined || req.target.charCodeAt(0) !== 47)
      normaliseRequest(req, this.rt.upgradeProtocols);
    const rt = this.rt;
    const t = splitTarget(req.target);
    const sni = this.rt.tls ? serverNameOf(this.sock) : undefined;
    const x = { req, path: t.path, query: t.query, sourceIp: this.ip, sni };
    const route = rt.router.route(x);
    const a = route.action;
    this.stamps = rt.accessLogger !== undefined;
    if (this.stamps) {
      const rec = this.record();
      rec.reset();
      rec.uri = req.target;
      rec.rule = a.index;
      rec.bytesIn = req.size;
      rec.outStart = this.out.bytes;
      rec.head = this.t0;
    }
    this.choice.start(req, rt.pool(route.pool), route.hashKey);
    if (rt.limits !== undefined || a.kind !== A_POOL) {
      const own = ownAnswer(rt, x, a, !this.clientEof && !this.draining);
      if (own !== undefined) {
        this.sendOwn(own);
        return;
      }
    }
    if (a.reqDrop !== undefined || a.rewrite !== undefined) applyRequestEdits(a, req, t.path, t.query);
    this.resEdits = a.res;
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

  private record(): AccessRecord {
    if (this.rec === undefined) this.rec = new AccessRecord();
    return this.rec;
  }

  /** Parser event (via RequestEvents). */
  onBody(b: Buffer, s: number, e: number): void {
    if (this.stamps) this.rec!.bytesIn += e - s;
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
      if (this.dkind === D_CLIENT) this.setDeadline(D_CLIENT);
    }
  }

  /** Parser event (via RequestEvents). */
  onEnd(): void {
    this.reqDone = true;
    if (this.ownAnswered) {
      // Answered by tcpvs, the connection kept: the next request, once the parser has paused here.
      this.ownAnswered = false;
      queueMicrotask(() => {
        if (!this.closing) this.nextRequest(true);
      });
      return;
    }
    if (this.holding) this.release();
    else if (this.dkind === D_CLIENT && this.up && !this.relay.started) this.setDeadline(D_RESPONSE);
  }

  /** A held request is checked (or too big to hold): send it. */
  private release(): void {
    this.holding = false;
    this.dispatch();
    this.syncHeld();
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
      if (this.enqueue()) return;
      const pool = choice.pool !== undefined;
      this.rt.svc.cluster.count(pool ? "reject.no_server" : "reject.no_pool");
      this.answer(503, pool ? "no_server" : "no_pool");
      return;
    }
    this.send(c);
  }

  /** Every usable server is full and the pool has a queue_timeout: wait for a slot. */
  private enqueue(): boolean {
    const pool = this.choice.pool;
    const svc = this.rt.svc;
    const ms = pool === undefined ? 0 : (svc.poolConfig(pool.name)?.queue_timeout ?? 0);
    if (ms <= 0 || svc.queues === undefined || !mayQueue(pool!)) return false;
    svc.queues.add(pool!.name, this);
    svc.cluster.count("queue.wait");
    this.queuedOn = pool!.name;
    if (this.stamps) this.rec!.queued = performance.now();
    // A body waits in the kernel meanwhile: nothing would take it.
    this.setPaused(PAUSE_QUEUE, true);
    this.dkind = D_QUEUE;
    this.deadline = svc.now() + ms;
    return true;
  }

  /** The queue's turn came (a slot may be free): true when the request left the queue. */
  retry(): boolean {
    if (this.closing || this.queuedOn === undefined) return true;
    const c = this.choice.choose();
    if (!c) return false;
    this.queuedOn = undefined;
    if (this.stamps) this.rec!.dequeued = performance.now();
    this.setPaused(PAUSE_QUEUE, false);
    this.setDeadline(D_NONE);
    this.send(c);
    return true;
  }

  private leaveQueue(): void {
    const q = this.queuedOn;
    if (q === undefined) return;
    this.queuedOn = undefined;
    this.setPaused(PAUSE_QUEUE, false);
    this.rt.svc.queues?.remove(q, this);
  }

  private send(c: Choice): void {
    const choice = this.choice;
    if (this.stamps) {
      const rec = this.rec!;
      rec.sent = performance.now();
      rec.opened = 0;
      rec.serverHead = 0;
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
    if (conn.open) this.awaitServer();
    else this.setDeadline(D_CONNECT);
  }

  /**
   * The request is with the server: wait for the rest of its body from the client (client_timeout),
   * or, once it is all sent or the server is not taking it, for the response head.
   */
  private awaitServer(): void {
    this.setDeadline(this.reqDone || (this.paused & PAUSE_UPSTREAM) !== 0 ? D_RESPONSE : D_CLIENT);
  }

  onUpOpen(_c: ServerConn): void {
    if (this.stamps) this.rec!.opened = performance.now();
    if (this.dkind === D_CONNECT) this.awaitServer();
  }

  onUpHead(h: ResponseHead): void {
    const mayKeep = this.reqDone && !this.draining && !this.rt.draining && !this.clientEof;
    if (this.stamps && this.rec!.serverHead === 0) this.rec!.serverHead = performance.now();
    switch (this.relay.head(h, this.up!.parser, this.req!, mayKeep, this.choice.setCookie(), this.resEdits)) {
      case R_FINAL:
        this.status = h.status;
        if (h.status >= 500 && this.choice.server !== undefined) {
          if (h.status < 600) this.choice.server.responses5xx++;
          this.rt.svc.serverError?.(this.choice.server);
        }
        // The body is the server's to send now; the client not reading it switches the wait (onOutBlocked).
        this.setDeadline(this.out.blocked ? D_CLIENT : D_SERVER);
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
    if (this.dkind === D_SERVER) this.setDeadline(D_SERVER);
  }

  onUpData(b: Buffer, s: number, e: number): void {
    this.relay.data(b, s, e);
  }

  onUpEnd(): void {
    const up = this.up!;
    const keepServer = this.reqDone && this.relay.serverKeep && up.parser.buffered === 0;
    this.up = undefined;
    this.choice.end(true);
    this.logRequest(undefined);
    if (keepServer && !up.tunnel) this.fwd.release(up);
    else up.close();
    this.nextRequest(this.relay.keepClient);
  }

  /** The exchange is over: read the next request on this connection (`keep`), or close. */
  private nextRequest(keep: boolean): void {
    this.req = undefined;
    this.choice.req = undefined;
    // No retry can follow: let go of the request's bytes now, not at the next request (an idle
    // keep-alive connection would hold up to RETAIN_MAX of its last request for as long as it idles).
    if (this.reqDone) this.kept.reset();
    else this.kept.drop();
    if (!keep || this.clientEof) {
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
    this.syncHeld();
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
    // A response cut by the server's close reads as an incomplete message: a reset, not garbage.
    const reset = why === "closed" || err?.code === "incomplete_message";
    const reason = reset ? faultReason("closed", c.errno) : faultReason(why, c.errno, err?.message);
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
      this.choice.end(free, reason);
      this.dispatch();
      return;
    }
    if (why === "bad_response") count.count("reject.bad_response");
    const cut = reset ? "server_reset" : why === "bad_response" ? "server_bad_response" : why;
    this.upFailed(why === "connect_timeout" ? 504 : 502, err?.code ?? why, reason, cut);
  }

  /**
   * Give up on the server: answer the client, or cut it when the response had started (`cut` names
   * why in the access record).
   */
  private upFailed(status: number, code: string, reason = faultReason(code), cut = code): void {
    const up = this.up;
    this.up = undefined;
    up?.abort();
    this.choice.end(false, reason);
    if (this.relay.started) {
      // A tunnel's 101 was complete: its end is no cut response.
      this.logRequest(this.tunnel ? undefined : cut);
      this.terminate();
      return;
    }
    this.answer(status, code);
  }

  /**
   * The client stalled (client_timeout): the server is let go without blame; the client gets `status`
   * or, when its response had started, is cut. Logged once per server per interval.
   */
  private clientFailed(status: number, code: string): void {
    const up = this.up;
    if (up) {
      this.up = undefined;
      up.abort();
      this.rt.svc.clientStall?.(this.rt.cfg.name, this.choice.server ?? up.server, code);
      this.choice.end(true);
    }
    if (this.relay.started) {
      this.logRequest(code);
      this.terminate();
      return;
    }
    this.answer(status, code, code);
  }

  /** The client's writer backs up (or drains): pause (resume) the server, and blame the right side. */
  onOutBlocked(_o: Out, blocked: boolean): void {
    this.up?.pauseRead(blocked);
    const k = this.dkind;
    if (blocked) {
      // Each partial write re-arms: client_timeout bounds a client that takes nothing at all.
      if (k === D_SERVER || k === D_CLIENT) this.setDeadline(D_CLIENT);
    } else if (k === D_CLIENT && this.up && this.relay.started && !this.tunnel) this.setDeadline(D_SERVER);
  }

  onUpRaw(buf: Buffer): void {
    this.out.write(buf);
    this.setDeadline(D_IDLE);
  }

  onUpBlocked(blocked: boolean): void {
    this.setPaused(PAUSE_UPSTREAM, blocked);
    // A server not taking the request body is the server's delay, not the client's.
    if (this.relay.started) return;
    if (blocked && this.dkind === D_CLIENT) this.setDeadline(D_RESPONSE);
    else if (!blocked && this.dkind === D_RESPONSE && !this.reqDone) this.setDeadline(D_CLIENT);
  }

  private startTunnel(): void {
    const up = this.up!;
    this.tunnel = true;
    up.tunnel = true;
    const fromServer = up.parser.upgrade();
    if (fromServer) this.out.write(fromServer);
    const fromClient = this.parser.upgrade();
    if (fromClient) up.out.write(fromClient);
    this.syncHeld();
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
      this.logRequest("bad_request");
      this.terminate();
      return;
    }
    this.answer(err.status, err.code);
  }

  /** tcpvs's own answer to the request (a limit, a redirect, deny or return); kept or closing. */
  private sendOwn(own: OwnAnswer): void {
    if (!own.keep) {
      this.answer(own.status, own.code, own.cut, own.text);
      return;
    }
    this.status = own.status;
    this.logRequest(undefined, own.code);
    this.out.write(own.text);
    // The next request is read once the parser reaches this one's end (onEnd).
    this.ownAnswered = true;
    this.setDeadline(D_NONE);
  }

  /**
   * Answer from tcpvs itself and close (`cut`: why the request ended short; `text`: the whole answer,
   * else the error answer for `status`).
   */
  private answer(status: number, code: string, cut?: string, text?: string | Uint8Array): void {
    this.status = status;
    this.holding = false;
    this.rt.svc.log.debug("refused request", { vs: this.rt.cfg.name, client: this.ip, status, code });
    this.logRequest(cut, code);
    this.out.write(text ?? errorAnswer(this.rt.cfg.error_pages, status, code));
    this.close();
    this.syncHeld();
  }

  /** Graceful close once everything queued has gone out. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    if (this.idleSince !== 0) this.notIdle();
    // What is queued must be taken by the client within client_timeout (re-armed as it reads).
    this.setDeadline(D_CLIENT);
    this.setPaused(PAUSE_PIPELINE, true);
    this.out.end();
  }

  /** Cut the connection from outside (a stop past its grace period). */
  destroy(): void {
    if (!this.tunnel) this.logRequest("shutdown");
    this.terminate();
  }

  private terminate(): void {
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
        this.terminate();
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
      case X_CLIENT_FAILED:
        this.clientFailed(x.status, x.code);
        return;
      case X_QUEUE_TIMEOUT:
        this.leaveQueue();
        this.answer(x.status, x.code, x.code);
        return;
    }
  }

  /** Read the PROXY header (accept_proxy): the bytes after it, or undefined while none are to parse. */
  private readProxy(buf: Buffer): Buffer | undefined {
    const pending = this.proxyPending!;
    const all = pending.length > 0 ? Buffer.concat([pending, buf]) : buf;
    const r = parseProxyHeader(all);
    if (r.state === "more") {
      this.proxyPending = Buffer.from(all);
      return undefined;
    }
    const rt = this.rt;
    if (r.state === "bad") {
      rt.svc.cluster.count("reject.proxy_header");
      rt.svc.log.debug("refused connection", { vs: rt.cfg.name, client: this.ip, error: r.error });
      this.terminate();
      return undefined;
    }
    this.proxyPending = undefined;
    if (r.ip !== undefined) {
      this.ip = r.ip;
      this.port = r.port ?? 0;
      this.choice.client(this.ip, this.port);
      this.fwd.client(this.ip, this.port);
    }
    if (!rt.perSource.enter(this.ip, rt.cfg.max_connections_per_source)) {
      rt.svc.cluster.count("reject.max_connections_per_source");
      this.terminate();
      return undefined;
    }
    this.counted = rt.perSource;
    return all.length > r.used ? all.subarray(r.used) : undefined;
  }

  /**
   * The access record of the current request, once; `cut` says why it ended short, if it did, and
   * `code` why tcpvs answered itself, when it did.
   */
  private logRequest(cut: string | undefined, code?: string): void {
    const req = this.req;
    if (!req || this.logged) return;
    this.logged = true;
    const c = this.choice;
    // A record begun before the access log was turned on (a reload) is not one: none is written.
    const rec = this.stamps ? this.rec : undefined;
    if (rec !== undefined) rec.retries = this.tries;
    accessLog(
      this.rt,
      req,
      this.ip,
      c.pool?.name,
      c.serverId,
      this.status,
      c.started,
      this.t0,
      cut,
      rec,
      rec === undefined ? 0 : this.out.bytes - rec.outStart,
      code,
    );
    if (rec !== undefined) rec.first = 0;
  }
}
