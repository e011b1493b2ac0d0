// What a scheduler sees of the request in progress on one client connection, and the choice of a
// server for it. One object per connection, pointed at each new request head: nothing is built per
// request.

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

export class RequestPick implements PickContext {
  readonly sourceIp: string;
  readonly sourcePort: number;
  hashKey: string | undefined = undefined;
  /** The request being routed; undefined between requests. */
  req: RequestHead | undefined = undefined;
  /** The HTTP view is this object itself (its getters read `req`). */
  readonly http: this;

  constructor(sourceIp: string, sourcePort: number) {
    this.sourceIp = sourceIp;
    this.sourcePort = sourcePort;
    this.http = this;
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

  /** A server of `pool` for the current request, its sorry server, or undefined (-> 503). */
  choose(svc: SwitchServices, pool: PoolState): Choice | undefined {
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

  /**
   * The persistence cookie to set on the response from `server`, if any: the scheduler honours the
   * cookie; the switch inserts it when it is missing or names another server (HAProxy's `cookie NAME
   * insert`). Values are opaque hashes of the server id.
   */
  setCookie(svc: SwitchServices, pool: PoolState, server: ServerState): string | undefined {
    const cookie = svc.cookieFor?.(pool.name);
    if (!cookie || server.pool !== pool.name || !this.req) return undefined;
    const want = cookie.value(server);
    if (cookieValue(headerOf(this.req, "cookie"), cookie.name) === want) return undefined;
    return `${cookie.name}=${want}; Path=/; HttpOnly`;
  }
}
