// One data-path worker (a Bun Worker thread): the same SwitchService as `workers = 1`, over a mirror of
// the cluster whose counters live in shared memory and whose health, weights and drains come from the
// main thread (worker-pool.ts). Its listeners share each port with the other workers (SO_REUSEPORT);
// unix-socket listeners, which cannot be shared, are worker 0's alone. At a connection limit its
// listeners pause (accept gates) as with one worker; a virtual server's max_connections is one count
// over every worker, so its listeners pause while that count is full and reopen when a connection ends
// in any worker (gate-fds.ts: a shared word and Atomics.waitAsync).
//
// Packaging: a second entrypoint of `bun build --compile` (package.json's build script), as the VRRP
// worker is.

import type { TcpvsConfig } from "../config/types.ts";
import { type LogFields, type LogFormat, Logger, type LogLevel } from "../log/logger.ts";
import { MetricsBatch } from "../metrics/metrics-batch.ts";
import { SharedCounts, type SharedLayout, serverKey } from "../sched/shared-counts.ts";
import { SharedQueueWords } from "../sched/shared-queue.ts";
import { GateFds } from "../sys/gate-fds.ts";
import { sharedParts } from "../sched/shared-sched.ts";
import { sharedLimitStore } from "../switch/shared-limits.ts";
import { type Cluster, SORRY_ID, type ServerState } from "../state/cluster.ts";
import { clusterFromConfig } from "../state/from-config.ts";
import { bindWorkerServer } from "../state/shared-server.ts";
import { SharedQueueLink } from "../switch/shared-queue-link.ts";
import { trySetThreadNice } from "../sys/cpu-priority.ts";
import { SwitchService } from "./switch-service.ts";
import type { ClusterInputs, FromWorker, ToWorker, WorkerReport } from "./worker-protocol.ts";

declare const self: Worker;

const post = (m: FromWorker) => self.postMessage(m);

let id = 0;
let counts: SharedCounts;
let cluster: Cluster;
let sw: SwitchService | undefined;
let log: Logger;
let pendingInputs: ClusterInputs | undefined;

/** Lines go to the main thread's logger, which writes them with `worker` added. */
class ForwardLogger extends Logger {
  constructor(
    level: LogLevel,
    format: LogFormat,
    private readonly fields: LogFields,
  ) {
    super({ level, format, sink: { write: () => {} } });
  }
  override log(level: LogLevel, msg: string, fields?: LogFields): void {
    if (this.enabled(level)) post({ type: "log", level, msg, fields: { ...this.fields, ...fields } });
  }
  override child(fields: LogFields): Logger {
    return new ForwardLogger(this.level, this.format, { ...this.fields, ...fields });
  }
}

/** Worker 0 keeps the unix-socket listeners; the others bind only what SO_REUSEPORT can share. */
function forWorker(config: TcpvsConfig): TcpvsConfig {
  if (id === 0) return config;
  return {
    ...config,
    virtual_server: config.virtual_server.map((vs) => ({
      ...vs,
      listen: vs.listen.filter((l) => l.kind !== "unix"),
    })),
  };
}

function adoptLayout(layout: SharedLayout): void {
  Object.assign(counts.layout.servers, layout.servers);
  Object.assign(counts.layout.vs, layout.vs);
  Object.assign(counts.layout.pools, layout.pools);
  Object.assign(counts.layout.persistence, layout.persistence);
  Object.assign(counts.layout.locality, layout.locality);
  // Replaced, not merged: a changed limit's old table is dropped (shared-limits.ts).
  counts.layout.limits = layout.limits;
  counts.layout.sources = layout.sources;
}

function bindAll(): void {
  for (const [name, pool] of cluster.pools) {
    for (const s of pool.servers) {
      const slot = counts.layout.servers[serverKey(name, s.id)];
      if (slot !== undefined) bindWorkerServer(counts, id, s, slot);
    }
    const slot = counts.layout.servers[serverKey(name, SORRY_ID)];
    if (pool.sorry && slot !== undefined) bindWorkerServer(counts, id, pool.sorry, slot);
  }
}

function applyInputs(inputs: ClusterInputs): void {
  for (const i of inputs.servers) {
    cluster.updateServer(
      i.pool,
      i.id,
      (s) => {
        s.healthy = i.healthy;
        s.drained = i.drained;
        s.disabled = i.disabled;
        s.inhibited = i.inhibited;
        s.dynamicWeight = i.dynamicWeight;
      },
      "control plane",
    );
  }
  for (const [name, q] of Object.entries(inputs.quorum)) {
    const p = cluster.pools.get(name);
    if (p) p.quorumUp = q;
  }
  post({ type: "applied", seq: inputs.seq });
}

// Responses and latencies are counted here and added to the one registry on the main thread.
const metrics = new MetricsBatch();
const sentCounters = new Map<string, number>();

function report(): void {
  const counters: Array<[string, number]> = [];
  for (const [k, v] of cluster.counters) {
    const d = v - (sentCounters.get(k) ?? 0);
    if (d !== 0) counters.push([k, d]);
    sentCounters.set(k, v);
  }
  const held = sw?.switch.held;
  const r: WorkerReport = {
    ...metrics.take(),
    counters,
    held: { used: held?.used ?? 0, max: held?.max ?? 0, waiting: held?.waitingCount ?? 0 },
  };
  post({ type: "report", report: r });
}

// Errors on live traffic go to the main thread's one PassiveHealth, batched per turn of the event loop.
let observed: Array<[string, string, number]> = [];
/** A burst beyond this within one turn adds nothing: the count marks the server down long before. */
const MAX_OBSERVED = 1024;

function observeError(s: ServerState, now: number): void {
  if (observed.length === 0)
    setTimeout(() => {
      const errors = observed;
      observed = [];
      post({ type: "observe-error", errors });
    }, 0);
  if (observed.length < MAX_OBSERVED) observed.push([s.pool, s.id, now]);
}

async function start(m: Extract<ToWorker, { type: "start" }>): Promise<void> {
  id = m.id;
  counts = new SharedCounts(m.layout);
  const gates = new GateFds(m.gates);
  log = new ForwardLogger(m.level, m.format, {});
  // Below the control plane (cpu-priority.ts): nice 0 under a raised main thread, whose value a new
  // thread inherits, else 5. Raising a thread's own nice value needs no privilege.
  const why = trySetThreadNice(m.nice);
  if (why !== undefined)
    log.warn("Cannot set the data-path worker's CPU priority: VRRP and checks compete with it", {
      error: why,
      nice: m.nice,
    });
  cluster = clusterFromConfig(m.config);
  bindAll();
  applyInputs(m.inputs);
  sw = new SwitchService(forWorker(m.config), cluster, metrics, log, {
    parts: (pool) => sharedParts(counts, pool),
    switchOptions: {
      reusePort: true,
      reusePortGroup: m.workers,
      limitStore: sharedLimitStore(counts.layout, id),
      // A listener pauses at a limit as with one worker; the main thread closes what its gates keep
      // if this worker dies (gate-fds.ts).
      gateRecord: gates.recordFor(id),
      admission: {
        acquire: (vs, max) => {
          const v = counts.layout.vs[vs];
          return v === undefined || counts.acquireVs(id, v, max);
        },
        release: (vs) => {
          const v = counts.layout.vs[vs];
          if (v === undefined) return;
          counts.releaseVs(id, v);
          gates.freed();
        },
        full: (vs, max) => {
          const v = counts.layout.vs[vs];
          return v !== undefined && max > 0 && Atomics.load(counts.vsConns, v) >= max;
        },
        mark: () => gates.mark(),
        whenFreed: (mark, then) => gates.whenFreed(mark, then),
        waiting: (vs, mine) => {
          const v = counts.layout.vs[vs];
          if (v === undefined) return 0;
          gates.setWaiting(id, v, mine);
          // Shared between the other workers, so together they close about as many as wait.
          const e = gates.waitingElsewhere(id, v);
          return e.waiting === 0 ? 0 : Math.ceil(e.waiting / Math.max(1, e.others));
        },
        live: (mine) => gates.live(id, mine),
      },
      ...(m.tickMs ? { tickMs: m.tickMs } : {}),
    },
    // Open connections are counted over every worker (gate-fds.ts): each switch gets the whole figure.
    ceilingShares: m.workers,
    reconciled: () => {
      bindAll();
      if (pendingInputs) applyInputs(pendingInputs);
    },
  });
  const queues = sw.switch.queues;
  if (m.layout.queues)
    queues.link = new SharedQueueLink(
      new SharedQueueWords(m.layout.queues),
      id,
      (pool) => counts.layout.pools[pool],
      (pool) => queues.wake(pool),
    );
  sw.switch.passive.forward = observeError;
  await sw.start();
  const ports: Record<string, number[]> = {};
  for (const vs of m.config.virtual_server) ports[vs.name] = sw.ports(vs.name);
  setInterval(report, m.reportMs).unref?.();
  post({ type: "started", ports });
}

async function reload(m: Extract<ToWorker, { type: "reload" }>): Promise<void> {
  adoptLayout(m.layout);
  pendingInputs = m.inputs;
  try {
    await sw!.reload({ config: forWorker(m.config), hash: "" });
    // Servers the reload kept were bound before; pools whose server set did not change still need the
    // slots of servers swapped in (an address change), so every scheduler re-reads its servers.
    bindAll();
    for (const p of cluster.pools.values()) p.onChange?.();
    post({ type: "reloaded", seq: m.seq });
  } catch (e) {
    post({ type: "reloaded", seq: m.seq, error: e instanceof Error ? e.message : String(e) });
  } finally {
    pendingInputs = undefined;
  }
}

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  switch (m.type) {
    case "start":
      start(m).catch((e: unknown) =>
        post({ type: "error", message: e instanceof Error ? e.message : String(e) }),
      );
      return;
    case "inputs":
      if (cluster) applyInputs(m.inputs);
      return;
    case "reload":
      void reload(m);
      return;
    case "stop":
      (sw ? sw.stop(m.graceMs) : Promise.resolve())
        .catch(() => {})
        .then(() => {
          report();
          post({ type: "stopped" });
        });
      return;
    case "report":
      if (cluster) report();
      return;
    case "fault":
      setTimeout(() => {
        throw new Error("injected fault (test hook)");
      }, 0);
      return;
  }
};
