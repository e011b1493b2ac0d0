// The choice of a server for the request in progress on one client connection: what a scheduler sees
// of the request, the pick (with the pool's sorry server as the fallback), the server's counters while
// an attempt is on it, and the persistence cookie for its response. One object per connection, pointed
// at each new request: nothing is built per request.

import type { RequestHead } from "../http/head.ts";
import { type PoolState, ServerState } from "../state/cluster.ts";
import type { PickContext } from "../sched/types.ts";
import { cookieValue, headerOf } from "./rules.ts";
import type { SwitchServices } from "./runtime.ts";
import type { Upstream } from "./upstream.ts";

export interface Choice {
  server: ServerState;
  upstream: Upstream;
}

export class ServerChoice implements PickContext {
  private readonly svc: SwitchServices;
  sourceIp: string;
  sourcePort: number;
  hashKey: string | undefined = undefined;
  /** The request being served; undefined between requests. */
  req: RequestHead | undefined = undefined;
  /** The HTTP view is this object itself (its getters read `req`). */
  readonly http: this;
  /** The pool the request was routed to; undefined when no such pool exists. */
  pool: PoolState | undefined = undefined;
  /** The server of the attempt in progress (counted as active on it). */
  server: ServerState | undefined = undefined;
  /** The last server tried for the request, for the access log. */
  serverId: string | undefined = undefined;
  /** Coarse clock (ms) when the request's head arrived. */
  started = 0;
  /** The virtual server's name, for the server-fault log line. */
  private readonly vs: string;

  constructor(svc: SwitchServices, sourceIp: string, sourcePort: number, vs = "") {
    this.svc = svc;
    this.vs = vs;
    this.sourceIp = sourceIp;
    this.sourcePort = sourcePort;
    this.http = this;
  }

  /** The client's address as a PROXY header gave it. */
  client(ip: string, port: number): void {
    this.sourceIp = ip;
    this.sourcePort = port;
  }

  get method(): string {
    return this.req?.method ?? "";
  }

  get host(): string {
    return this.req?.host ?? "";
  }

  get uri(): string {
    return this.req?.target ?? "";
  }

  header(name: string): string | undefined {
    return this.req ? headerOf(this.req, name.toLowerCase()) : undefined;
  }

  cookie(name: string): string | undefined {
    return this.req ? cookieValue(headerOf(this.req, "cookie"), name) : undefined;
  }

  /** A new request, routed to `pool` (a rule may have given a hash key). */
  start(req: RequestHead, pool: PoolState | undefined, hashKey: string | undefined): void {
    this.req = req;
    this.pool = pool;
    this.hashKey = hashKey;
    this.serverId = undefined;
    this.started = this.svc.now();
  }

  /** A server for the request, the pool's sorry server, or undefined (-> 503). */
  choose(): Choice | undefined {
    const pool = this.pool;
    if (!pool) return undefined;
    const svc = this.svc;
    // keepalived's sorry_server: while the pool has lost quorum, traffic goes there, not to the few left.
    if (!pool.quorumUp) {
      const sorry = svc.sorry(pool.name);
      if (sorry) return sorry;
    }
    const picked = svc.schedulerFor(pool.name)?.pick(this);
    if (picked) {
      // Schedulers are built over the pool's own ServerState objects: no lookup by id per request.
      const s = picked instanceof ServerState ? picked : pool.server(picked.id);
      if (s?.up) return { server: s, upstream: svc.upstream(pool.name, s) };
    }
    return svc.sorry(pool.name);
  }

  /** An attempt at `s` begins. */
  begin(s: ServerState): void {
    this.server = s;
    this.serverId = s.id;
    s.active++;
    s.inflight++;
    s.requests++;
  }

  /**
   * The attempt ends (ok = false counts an error against the server); tells the scheduler. A `fault`
   * (the reason, from faultReason) says the server is to blame, not the client: it is logged too.
   */
  end(ok: boolean, fault?: string): void {
    const s = this.server;
    if (!s) return;
    s.active--;
    s.inflight--;
    this.svc.queues?.released(s.pool);
    if (!ok) {
      s.errors++;
      if (fault !== undefined) {
        this.svc.serverFault?.(this.vs, s, fault);
        this.svc.serverError?.(s);
      }
    }
    const sched = this.pool ? this.svc.schedulerFor(this.pool.name) : undefined;
    sched?.done?.(s, this.svc.now() - this.started, ok);
    this.server = undefined;
  }

  /** The attempt never reached the server (a failure of this host's): undo begin(), blame no one. */
  cancel(): void {
    const s = this.server;
    if (!s) return;
    s.active--;
    s.inflight--;
    s.requests--;
    this.svc.queues?.released(s.pool);
    this.server = undefined;
  }

  /**
   * The persistence cookie to set on the response of the current server, if any: the scheduler
   * honours the cookie; the switch inserts it when it is missing or names another server (HAProxy's
   * `cookie NAME insert`). Values are opaque hashes of the server id.
   */
  setCookie(): string | undefined {
    const pool = this.pool;
    const server = this.server;
    if (!pool || !server || !this.req) return undefined;
    const cookie = this.svc.cookieFor?.(pool.name);
    if (!cookie || server.pool !== pool.name) return undefined;
    const want = cookie.value(server);
    if (cookieValue(headerOf(this.req, "cookie"), cookie.name) === want) return undefined;
    return `${cookie.name}=${want}; Path=/; HttpOnly`;
  }
}
