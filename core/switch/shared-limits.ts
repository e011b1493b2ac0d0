// Where the data-path workers keep their rate-limit counters and connections per source: tables in the
// shared layout (SharedLayout.limits and .sources), allocated by the main thread and handed to every
// worker at start and reload.
//
// Reload: a limit keeps its table (its counters) while its virtual server, its place in the list and
// everything it says (key, rate, burst, max_keys, matchers) stay the same; a changed limit starts with
// empty counters, as with one process (and a reload rolled back finds the previous tables again). A
// virtual server's per-source table lives as long as the virtual server does (its open connections are
// counted there), once max_connections_per_source has been set on it.

import type { VirtualServerConfig } from "../config/types.ts";
import type { SharedLayout } from "../sched/shared-counts.ts";
import type { LimitConfig, LimitStore } from "./limits.ts";
import { rateLimitBuffer, SharedRateLimiter } from "./shared-rate-limiter.ts";
import { SharedSourceCounts, sourceCountsBuffer } from "./shared-source-counts.ts";

/** Addresses with connections open that a per-source table holds at once, at most. */
export const MAX_SOURCES = 65536;

type Tables = Pick<SharedLayout, "limits" | "sources" | "maxWorkers">;

export function limitKey(vs: string, index: number, l: LimitConfig): string {
  return `${vs}\0${index}\0${JSON.stringify(l)}`;
}

/** The limit tables the last layout dropped: a reload refused by a worker puts their config back. */
const previous = new WeakMap<Tables, Record<string, SharedArrayBuffer>>();

/** Tables for the config's limits (main thread): kept where unchanged, new where changed, dropped where gone. */
export function layoutLimits(t: Tables, vss: readonly VirtualServerConfig[]): void {
  const limits: Record<string, SharedArrayBuffer> = {};
  const sources: Record<string, SharedArrayBuffer> = {};
  const before = previous.get(t);
  for (const vs of vss) {
    vs.limit.forEach((l, i) => {
      const k = limitKey(vs.name, i, l);
      limits[k] = t.limits[k] ?? before?.[k] ?? rateLimitBuffer(l.max_keys);
    });
    const had = t.sources[vs.name];
    if (had) sources[vs.name] = had;
    else if (vs.max_connections_per_source > 0)
      sources[vs.name] = sourceCountsBuffer(
        Math.min(vs.max_connections > 0 ? vs.max_connections : MAX_SOURCES, MAX_SOURCES),
        t.maxWorkers,
      );
  }
  previous.set(t, t.limits);
  t.limits = limits;
  t.sources = sources;
}

/** Worker `worker`'s store over the layout's tables (read at each call: a reload replaces them). */
export function sharedLimitStore(t: Tables, worker: number): LimitStore {
  const views = new WeakMap<SharedArrayBuffer, SharedSourceCounts>();
  return {
    limiters: (vs) => (l, i) => {
      const b = t.limits[limitKey(vs, i, l)];
      if (!b) throw new Error(`Cannot find the shared table of limit ${i + 1} of virtual server "${vs}"`);
      return new SharedRateLimiter(l.rate.count, l.rate.ms, l.burst, b);
    },
    sources: (vs) => {
      const b = t.sources[vs];
      if (!b) return undefined;
      let v = views.get(b);
      if (!v) {
        v = new SharedSourceCounts(b, t.maxWorkers, worker);
        views.set(b, v);
      }
      return v;
    },
  };
}

/** Take a dead worker's connections out of every per-source count (main thread). */
export function forgetSources(t: Tables, worker: number): void {
  for (const b of Object.values(t.sources)) SharedSourceCounts.forget(b, t.maxWorkers, worker);
}
