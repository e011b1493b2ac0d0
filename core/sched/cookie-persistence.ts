// Cookie-inserted persistence support. The switch does the HTTP part: when a pick is made for a
// request, it answers with Set-Cookie `name=cookieValue(server)` unless the request already carried
// that value. This wrapper does the rest: a request whose cookie names a usable server goes there.
// Values are opaque (a hash of the server id, 8 hex digits), so server names are not exposed; they
// are stable across reloads and across nodes because they depend only on the id.

import { hashString } from "./hash.ts";
import { available, reachable, Tier } from "./tier.ts";
import type { PickContext, SchedServer, Scheduler } from "./types.ts";

export interface CookieInsert {
  /** Cookie name (the `cookie` scheduler option). */
  readonly name: string;
  /** The value to insert for `server`. */
  value(server: SchedServer): string;
}

export class CookiePersistence implements Scheduler {
  readonly name: string;
  readonly inner: Scheduler;
  /** What the switch needs to insert the cookie. */
  readonly insert: CookieInsert;
  private readonly cookie: string;
  private readonly servers: readonly SchedServer[];
  private readonly tier: Tier;
  private readonly expireQuiescent: boolean;
  private byValue = new Map<string, SchedServer>();
  private valueFor = new Map<SchedServer, string>();

  constructor(inner: Scheduler, servers: readonly SchedServer[], cookie: string, expireQuiescent: boolean) {
    this.name = inner.name;
    this.inner = inner;
    this.cookie = cookie;
    this.servers = servers;
    this.expireQuiescent = expireQuiescent;
    this.tier = new Tier(servers);
    this.index();
    this.insert = { name: cookie, value: (server) => this.valueFor.get(server) ?? cookieValue(server.id) };
  }

  /** The pool's server that `value` names, if any (for the switch, e.g. to log it). */
  serverFor(value: string): SchedServer | undefined {
    return this.byValue.get(value);
  }

  pick(ctx: PickContext): SchedServer | undefined {
    const v = ctx.http?.cookie(this.cookie);
    if (v !== undefined) {
      const s = this.byValue.get(v);
      if (s !== undefined && this.tier.serves(s) && (this.expireQuiescent ? available(s) : reachable(s)))
        return s;
    }
    return this.inner.pick(ctx);
  }

  update(): void {
    this.tier.refresh();
    this.index();
    this.inner.update();
  }

  done(server: SchedServer, latencyMs: number, ok: boolean): void {
    this.inner.done?.(server, latencyMs, ok);
  }

  private index(): void {
    const byValue = new Map<string, SchedServer>();
    const valueFor = new Map<SchedServer, string>();
    for (const s of this.servers) {
      let v = cookieValue(s.id);
      // Two ids with the same hash in one pool: disambiguate (stable while the id set is).
      for (let n = 1; byValue.has(v); n++) v = cookieValue(`${s.id}#${n}`);
      byValue.set(v, s);
      valueFor.set(s, v);
    }
    this.byValue = byValue;
    this.valueFor = valueFor;
  }
}

/** The opaque cookie value for a server id. */
export function cookieValue(id: string): string {
  return hashString(id, 0x636f6f6b).toString(16).padStart(8, "0");
}
