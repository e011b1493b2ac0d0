// ServerState objects whose counters live in SharedCounts: in a worker, `s.active++` becomes an atomic
// add to the one count every worker's scheduler reads; on the main thread the same fields read the sum
// over workers, so status, metrics and the state dump need no change. See shared-counts.ts for the
// ++/-- contract. A worker's own share (activeBy, inflightBy) has one writer, that worker: a plain add,
// no lock prefix; only the global count every worker adds to needs Atomics.

import { reservation, type SharedCounts, slotOf } from "../sched/shared-counts.ts";
import { ServerState } from "./cluster.ts";

export { reservation, slotOf };

type Field = "active" | "inflight" | "requests" | "errors" | "totalConnections" | "responses5xx";
const FIELDS: readonly Field[] = [
  "active",
  "inflight",
  "requests",
  "errors",
  "totalConnections",
  "responses5xx",
];

/** The fields a bound server keeps for its accessors (own data fields: one object shape for all). */
interface Bound {
  _slot: number;
  /** Index of this worker's share: worker × maxServers + slot. */
  _at: number;
  /** What the last read of active / inflight returned, for the delta of the write that follows. */
  _seenActive: number;
  _seenInflight: number;
}

// One prototype per (counts, worker), shared by every bound server: the scheduler's loops over servers
// then see one object shape, not one per server (closures per instance cost ~4x on wlc).
const protos = new WeakMap<SharedCounts, Map<number, object>>();

function workerProto(c: SharedCounts, w: number): object {
  let byWorker = protos.get(c);
  if (!byWorker) {
    byWorker = new Map();
    protos.set(c, byWorker);
  }
  const have = byWorker.get(w);
  if (have) return have;
  const { active, activeBy, inflight, inflightBy, requestsBy, errorsBy, connectionsBy, responses5xxBy } = c;
  const counter = (by: Float64Array): PropertyDescriptor => ({
    get(this: Bound) {
      return by[this._at]!;
    },
    set(this: Bound, v: number) {
      by[this._at] = v;
    },
  });
  const proto = Object.create(ServerState.prototype, {
    active: {
      get(this: Bound) {
        this._seenActive = Atomics.load(active, this._slot);
        return this._seenActive;
      },
      set(this: Bound, v: number) {
        const d = v - this._seenActive;
        this._seenActive = v;
        if (d === 0) return;
        // The pick already counted this one globally (SharedLimit's reservation): count it as ours only.
        if (d === 1 && reservation.slot === this._slot) reservation.slot = -1;
        else Atomics.add(active, this._slot, d);
        activeBy[this._at]! += d;
      },
    },
    inflight: {
      get(this: Bound) {
        this._seenInflight = Atomics.load(inflight, this._slot);
        return this._seenInflight;
      },
      set(this: Bound, v: number) {
        const d = v - this._seenInflight;
        this._seenInflight = v;
        if (d === 0) return;
        Atomics.add(inflight, this._slot, d);
        inflightBy[this._at]! += d;
      },
    },
    requests: counter(requestsBy),
    errors: counter(errorsBy),
    totalConnections: counter(connectionsBy),
    responses5xx: counter(responses5xxBy),
  });
  byWorker.set(w, proto);
  return proto;
}

/** Worker side: `s`'s counters become worker `w`'s share of slot `i`. */
export function bindWorkerServer(c: SharedCounts, w: number, s: ServerState, i: number): void {
  if (slotOf.get(s) === i) return;
  for (const f of FIELDS) delete (s as unknown as Record<string, unknown>)[f];
  slotOf.set(s, i);
  const b = s as unknown as Bound;
  b._slot = i;
  b._at = w * c.layout.maxServers + i;
  b._seenActive = 0;
  b._seenInflight = 0;
  Object.setPrototypeOf(s, workerProto(c, w));
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
    responses5xx: { configurable: true, get: () => c.total(c.responses5xxBy, i), set: ignore },
  });
}
