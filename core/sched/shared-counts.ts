// The counters every worker's scheduler and switch must see as one: a server's active connections and
// requests in flight (lc, wlc, sed, nq, ovf, twos, peak_ewma, max_connections), each virtual server's
// connections (its max_connections), and per-worker totals for status and metrics. One
// SharedArrayBuffer, laid out by the main thread, handed to every worker.
//
// The switch keeps counting with `s.active++` / `s.active--` on plain ServerState objects: bind() puts
// accessors on each object, so no switch code changes. A setter applies the difference from the value
// its getter just read as an atomic add: `x++` is a get then a set with no other code of this thread in
// between, so the delta is exact whatever the other threads did meanwhile. The switch only ever writes
// these fields with ++, -- (and += n); that is the contract.
//
// Each global count has a per-worker twin written only by its worker, so when a worker dies its share
// is taken back out (forget()) instead of leaking forever.

export interface SharedLayout {
  buffer: SharedArrayBuffer;
  /** Server slots: "pool\0server" -> index. Only ever grows; a server keeps its slot across reloads. */
  servers: Record<string, number>;
  /** Virtual server slots by name. */
  vs: Record<string, number>;
  /** Pool slots by name (rr/wrr positions, locks). */
  pools: Record<string, number>;
  /** Source-persistence tables by pool (see shared-persistence.ts). */
  persistence: Record<string, SharedArrayBuffer>;
  /** lblc and lblcr key tables by "pool:scheduler". */
  locality: Record<string, SharedArrayBuffer>;
  /** Rate-limit tables by virtual server and limit (core/switch/shared-limits.ts). */
  limits: Record<string, SharedArrayBuffer>;
  /** Connections per source by virtual server (core/switch/shared-source-counts.ts). */
  sources: Record<string, SharedArrayBuffer>;
  /** Every worker's queue waiters and "slot freed" words (see shared-queue.ts), by pool slot. */
  queues?: SharedArrayBuffer;
  maxServers: number;
  maxVs: number;
  maxPools: number;
  maxWorkers: number;
}

export const serverKey = (pool: string, id: string): string => `${pool}\0${id}`;

/** Typed views over the layout's buffer; the same arithmetic on every thread. */
export class SharedCounts {
  readonly layout: SharedLayout;
  readonly active: Int32Array;
  readonly inflight: Int32Array;
  readonly vsConns: Int32Array;
  /** Per pool: [lock, cursor a, cursor b, spare]. */
  readonly poolWords: Int32Array;
  /** Per worker × server. */
  readonly activeBy: Int32Array;
  readonly inflightBy: Int32Array;
  /** Per worker × virtual server. */
  readonly vsConnsBy: Int32Array;
  /** Per worker × server, monotonic, single writer each: requests, errors, connections, 5xx responses. */
  readonly requestsBy: Float64Array;
  readonly errorsBy: Float64Array;
  readonly connectionsBy: Float64Array;
  readonly responses5xxBy: Float64Array;

  constructor(layout: SharedLayout) {
    this.layout = layout;
    const { maxServers: S, maxVs: V, maxPools: P, maxWorkers: W, buffer } = layout;
    let off = 0;
    const f64 = (n: number) => {
      off = Math.ceil(off / 8) * 8;
      const a = new Float64Array(buffer, off, n);
      off += n * 8;
      return a;
    };
    const i32 = (n: number) => {
      const a = new Int32Array(buffer, off, n);
      off += n * 4;
      return a;
    };
    this.requestsBy = f64(W * S);
    this.errorsBy = f64(W * S);
    this.connectionsBy = f64(W * S);
    this.responses5xxBy = f64(W * S);
    this.active = i32(S);
    this.inflight = i32(S);
    this.vsConns = i32(V);
    this.poolWords = i32(P * 4);
    this.activeBy = i32(W * S);
    this.inflightBy = i32(W * S);
    this.vsConnsBy = i32(W * V);
  }

  static bytes(S: number, V: number, P: number, W: number): number {
    return 4 * W * S * 8 + (2 * S + V + 4 * P + 2 * W * S + W * V) * 4 + 8;
  }

  /** A new layout with room for `maxServers` servers and `maxWorkers` workers. */
  static create(o: {
    maxServers: number;
    maxVs: number;
    maxPools: number;
    maxWorkers: number;
  }): SharedCounts {
    const buffer = new SharedArrayBuffer(SharedCounts.bytes(o.maxServers, o.maxVs, o.maxPools, o.maxWorkers));
    return new SharedCounts({
      buffer,
      servers: {},
      vs: {},
      pools: {},
      persistence: {},
      locality: {},
      limits: {},
      sources: {},
      ...o,
    });
  }

  /** The slot of a server, vs or pool, assigned on first sight (main thread only); -1 when full. */
  assign(kind: "servers" | "vs" | "pools", key: string): number {
    const map = this.layout[kind];
    const have = map[key];
    if (have !== undefined) return have;
    const max =
      kind === "servers" ? this.layout.maxServers : kind === "vs" ? this.layout.maxVs : this.layout.maxPools;
    const n = Object.keys(map).length;
    if (n >= max) return -1;
    map[key] = n;
    return n;
  }

  /** Take a dead worker's share out of the global counts (its monotonic totals stay: history). */
  forget(worker: number): void {
    const { maxServers: S, maxVs: V } = this.layout;
    for (let i = 0; i < S; i++) {
      const a = Atomics.exchange(this.activeBy, worker * S + i, 0);
      if (a !== 0) Atomics.sub(this.active, i, a);
      const f = Atomics.exchange(this.inflightBy, worker * S + i, 0);
      if (f !== 0) Atomics.sub(this.inflight, i, f);
    }
    for (let v = 0; v < V; v++) {
      const c = Atomics.exchange(this.vsConnsBy, worker * V + v, 0);
      if (c !== 0) Atomics.sub(this.vsConns, v, c);
    }
  }

  /** A worker's current client connections and requests sent, for `tcpvs status`. */
  workerTotals(worker: number): { connections: number; requests: number } {
    const { maxServers: S, maxVs: V } = this.layout;
    let connections = 0;
    let requests = 0;
    for (let v = 0; v < V; v++) connections += Atomics.load(this.vsConnsBy, worker * V + v);
    for (let i = 0; i < S; i++) requests += this.requestsBy[worker * S + i]!;
    return { connections, requests };
  }

  /** Sum of a per-worker monotonic counter for one server. */
  total(by: Float64Array, slot: number): number {
    const { maxServers: S, maxWorkers: W } = this.layout;
    let n = 0;
    for (let w = 0; w < W; w++) n += by[w * S + slot]!;
    return n;
  }

  /** Take one connection of virtual server slot `v` if below `max` (0 = no limit); atomic across workers. */
  acquireVs(worker: number, v: number, max: number): boolean {
    for (;;) {
      const cur = Atomics.load(this.vsConns, v);
      if (max > 0 && cur >= max) return false;
      if (Atomics.compareExchange(this.vsConns, v, cur, cur + 1) === cur) break;
    }
    Atomics.add(this.vsConnsBy, worker * this.layout.maxVs + v, 1);
    return true;
  }

  releaseVs(worker: number, v: number): void {
    Atomics.sub(this.vsConns, v, 1);
    Atomics.sub(this.vsConnsBy, worker * this.layout.maxVs + v, 1);
  }

  /** Reserve one connection at server slot `i` if below `max`: the limit holds across workers. */
  reserve(i: number, max: number): boolean {
    for (;;) {
      const cur = Atomics.load(this.active, i);
      if (cur >= max) return false;
      if (Atomics.compareExchange(this.active, i, cur, cur + 1) === cur) return true;
    }
  }

  /** Run `fn` holding pool slot `p`'s lock (a few hundred ns: the rr/wrr cursor update). */
  locked<T>(p: number, fn: () => T): T {
    this.lock(p);
    try {
      return fn();
    } finally {
      this.unlock(p);
    }
  }

  /** Take pool slot `p`'s lock; give it back with unlock(p) in a finally. No closure: the rr path. */
  lock(p: number): void {
    const w = this.poolWords;
    const at = p * 4;
    for (let spins = 0; Atomics.compareExchange(w, at, 0, 1) !== 0; spins++) {
      // The holder runs plain synchronous code; waiting this long means it died holding it.
      if (spins > 10_000_000) break;
    }
  }

  unlock(p: number): void {
    Atomics.store(this.poolWords, p * 4, 0);
  }
}

/** One pending reservation per thread: made by a pick (SharedLimit), claimed by the `active++` after it. */
export const reservation: { slot: number } = { slot: -1 };

/** The slot a bound server counts in (core/state/shared-server.ts binds it), or undefined for a plain one. */
export const slotOf = new WeakMap<object, number>();
