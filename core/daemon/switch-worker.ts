// One data-path worker (a Bun Worker thread): the same SwitchService as `workers = 1`, over a mirror of
// the cluster whose counters live in shared memory and whose health, weights and drains come from the
// main thread (worker-pool.ts). Its listeners share each port with the other workers (SO_REUSEPORT);
// unix-socket listeners, which cannot be shared, are worker 0's alone.
//
// Packaging: a second entrypoint of `bun build --compile` (package.json's build script), as the VRRP
// worker is.

import type { TcpvsConfig } from "../config/types.ts";
import { type LogFields, type LogFormat, Logger, type LogLevel } from "../log/logger.ts";
import { MetricsBatch } from "../metrics/metrics-batch.ts";
import { SharedCounts, type SharedLayout, serverKey } from "../sched/shared-counts.ts";
import { sharedParts } from "../sched/shared-sched.ts";
import type { Cluster } from "../state/cluster.ts";
import { clusterFromConfig } from "../state/from-config.ts";
import { bindWorkerServer } from "../state/shared-server.ts";
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
}

function bindAll(): void {
  for (const [name, pool] of cluster.pools) {
    for (const s of pool.servers) {
      const slot = counts.layout.servers[serverKey(name, s.id)];
      if (slot !== undefined) bindWorkerServer(counts, id, s, slot);
    }
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

async function start(m: Extract<ToWorker, { type: "start" }>): Promise<void> {
  id = m.id;
  counts = new SharedCounts(m.layout);
  log = new ForwardLogger(m.level, m.format, {});
  cluster = clusterFromConfig(m.config);
  bindAll();
  applyInputs(m.inputs);
  sw = new SwitchService(forWorker(m.config), cluster, metrics, log, {
    parts: (pool) => sharedParts(counts, pool),
    switchOptions: {
      reusePort: true,
      acceptGates: false,
      admission: {
        acquire: (vs, max) => {
          const v = counts.layout.vs[vs];
          return v === undefined || counts.acquireVs(id, v, max);
        },
        release: (vs) => {
          const v = counts.layout.vs[vs];
          if (v !== undefined) counts.releaseVs(id, v);
        },
      },
    },
    ceilingShares: m.workers,
    reconciled: () => {
      bindAll();
      if (pendingInputs) applyInputs(pendingInputs);
    },
  });
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
