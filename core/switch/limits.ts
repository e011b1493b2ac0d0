// The [[virtual_server.limit]]s of a virtual server, compiled: which requests each counts (its
// matchers), by what key (the client address, a header, a cookie), and its limiter. A request over
// any limit gets 429 with Retry-After and never reaches a server.

import type { VirtualServerConfig } from "../config/types.ts";
import { LocalRateLimiter, type RateLimiter } from "./rate-limiter.ts";
import { cookieValue, compileMatchers, headerOf, type Matcher, type RouteInput } from "./rules.ts";
import type { SourceCounter } from "./source-counts.ts";

/** Longer keys are kept as a hash. */
const MAX_KEY = 64;

interface Limit {
  matchers: Matcher[];
  key: (x: RouteInput) => string | undefined;
  limiter: RateLimiter;
}

export type LimitConfig = VirtualServerConfig["limit"][number];

/** The limiter of a virtual server's limit number `index` (from 0). */
export type LimiterFactory = (limit: LimitConfig, index: number) => RateLimiter;

const local: LimiterFactory = (l) => new LocalRateLimiter(l.rate.count, l.rate.ms, l.burst, l.max_keys);

/** Counters kept for more than this process's event loop (shared-limits.ts: by all data-path workers). */
export interface LimitStore {
  /** The limiters of virtual server `vs`'s limits. */
  limiters(vs: string): LimiterFactory;
  /** The connection counts per source of `vs`, when they are kept there. */
  sources(vs: string): SourceCounter | undefined;
}

function keyOf(spec: string): (x: RouteInput) => string | undefined {
  if (spec === "source") return (x) => x.sourceIp;
  const name = spec.slice(spec.indexOf(":") + 1);
  if (spec.startsWith("header:")) {
    const lower = name.toLowerCase();
    return (x) => headerOf(x.req, lower);
  }
  return (x) => cookieValue(headerOf(x.req, "cookie"), name);
}

export class Limits {
  private readonly list: Limit[];

  constructor(limits: VirtualServerConfig["limit"], make: LimiterFactory = local) {
    this.list = limits.map((l, i) => ({
      matchers: compileMatchers(l, `limit ${i + 1}`).m,
      key: keyOf(l.key),
      limiter: make(l, i),
    }));
  }

  /** Count the request against every limit it matches: 0 when allowed, else ms until it would be. */
  check(x: RouteInput, now: number): number {
    const list = this.list;
    outer: for (let i = 0; i < list.length; i++) {
      const l = list[i]!;
      for (let j = 0; j < l.matchers.length; j++) if (!l.matchers[j]!(x)) continue outer;
      let key = l.key(x);
      if (key === undefined) continue;
      // A header or cookie value may be kilobytes long: a counter keeps a 64-bit hash of it instead,
      // so max_keys bounds memory whatever clients send.
      if (key.length > MAX_KEY) key = `#${Bun.hash(key).toString(36)}`;
      const wait = l.limiter.take(key, now);
      if (wait > 0) return wait;
    }
    return 0;
  }

  /** Limiters in order, for figures (keys kept). */
  limiters(): RateLimiter[] {
    return this.list.map((l) => l.limiter);
  }
}
