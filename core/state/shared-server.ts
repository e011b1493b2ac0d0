// ServerState objects whose counters live in SharedCounts: in a worker, `s.active++` becomes an atomic
// add to the one count every worker's scheduler reads; on the main thread the same fields read the sum
// over workers, so status, metrics and the state dump need no change. See shared-counts.ts for the
// ++/-- contract.

import type { SharedCounts } from "../sched/shared-counts.ts";
import type { ServerState } from "./cluster.ts";

/** One pending reservation per thread: made by a pick (SharedLimit), claimed by the `active++` after it. */
export const reservation: { slot: number } = { slot: -1 };

type Field = "active" | "inflight" | "requests" | "errors" | "totalConnections";
const FIELDS: readonly Field[] = ["active", "inflight", "requests", "errors", "totalConnections"];

/** The slot a bound server counts in, or undefined for a plain one. */
export const slotOf = new WeakMap<object, number>();

/** Worker side: `s`'s counters become worker `w`'s share of slot `i`. */
export function bindWorkerServer(c: SharedCounts, w: number, s: ServerState, i: number): void {
  if (slotOf.get(s) === i) return;
  for (const f of FIELDS) delete (s as unknown as Record<string, unknown>)[f];
  slotOf.set(s, i);
  const S = c.layout.maxServers;
  const at = w * S + i;
  const gauge = (global: Int32Array, mine: Int32Array, claims: boolean): PropertyDescriptor => {
    let seen = 0;
    return {
      configurable: true,
      get: () => {
        seen = Atomics.load(global, i);
        return seen;
      },
      set: (v: number) => {
        const d = v - seen;
        seen = v;
        if (d === 0) return;
        if (claims && d === 1 && reservation.slot === i) reservation.slot = -1;
        else Atomics.add(global, i, d);
        Atomics.add(mine, at, d);
      },
    };
  };
  const counter = (by: Float64Array): PropertyDescriptor => ({
    configurable: true,
    get: () => by[at]!,
    set: (v: number) => {
      by[at] = v;
    },
  });
  Object.defineProperties(s, {
    active: gauge(c.active, c.activeBy, true),
    inflight: gauge(c.inflight, c.inflightBy, false),
    requests: counter(c.requestsBy),
    errors: counter(c.errorsBy),
    totalConnections: counter(c.connectionsBy),
  });
}

/** Main side: `s`'s counters read the totals of slot `i` over every worker; writes are ignored. */
export function bindTotalsServer(c: SharedCounts, s: ServerState, i: number): void {
  if (slotOf.get(s) === i) return;
  for (const f of FIELDS) delete (s as unknown as Record<string, unknown>)[f];
  slotOf.set(s, i);
  const ignore = () => {};
  Object.defineProperties(s, {
    active: { configurable: true, get: () => Atomics.load(c.active, i), set: ignore },
    inflight: { configurable: true, get: () => Atomics.load(c.inflight, i), set: ignore },
    requests: { configurable: true, get: () => c.total(c.requestsBy, i), set: ignore },
    errors: { configurable: true, get: () => c.total(c.errorsBy, i), set: ignore },
    totalConnections: { configurable: true, get: () => c.total(c.connectionsBy, i), set: ignore },
  });
}
