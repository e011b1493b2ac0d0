// The `serve` role: one cluster model and, around it, in start order, the switch (listeners first: a
// second daemon started by mistake fails on its ports), the control channel and metrics (our own sockets
// before VRRP, so a clash fails before an advert goes out), the health monitor, and VRRP in its Worker.

import type { DaemonDescription } from "../control/snapshot.ts";
import { MetricsRegistry } from "../metrics/metrics-registry.ts";
import { pageSource } from "./page-source.ts";
import type { Cluster } from "../state/cluster.ts";
import { clusterFromConfig } from "../state/from-config.ts";
import { ControlService } from "./control-service.ts";
import { Daemon, type DaemonOptions } from "./daemon.ts";
import { MetricsService } from "./metrics-service.ts";
import { MonitorService } from "./monitor-service.ts";
import { checkNewListeners } from "./preflight.ts";
import { resolveWorkers } from "../sys/cpu-count.ts";
import { SwitchService } from "./switch-service.ts";
import { WorkerPool, type WorkerPoolOptions } from "./worker-pool.ts";
import { VrrpBridge } from "./vrrp-bridge.ts";

export interface ServeOptions extends Omit<DaemonOptions, "role" | "cluster"> {
  version: string;
  /** Override the control endpoint (the demo uses a temp socket). */
  controlPath?: string;
  /** Override `[global] workers` (tests). */
  workers?: number;
  /** Tests: the data-path workers' report interval and the like. */
  workerOptions?: WorkerPoolOptions;
}

export function serveDaemon(o: ServeOptions): Daemon {
  const cluster = clusterFromConfig(o.config);
  const d = new Daemon({ ...o, role: "serve", cluster });
  // The gauges are read at scrape time, after the switch exists.
  const metrics = new MetricsRegistry({
    cluster,
    version: o.version,
    startedAt: d.startedAt,
    gauges: () => (sw instanceof WorkerPool ? sw.gauges() : sw.switch.gauges()),
    sync: () => (sw instanceof WorkerPool ? sw.flush() : Promise.resolve()),
    tlsCertificates: () =>
      d.config.virtual_server.map((vs) => ({ virtual_server: vs.name, certificates: vs.tls?.loaded ?? [] })),
  });
  // One worker is the data path on this thread, as before workers existed; more are Worker threads.
  const workers = o.workers ?? resolveWorkers(o.config.global.workers);
  const sw =
    workers > 1
      ? new WorkerPool(o.config, cluster, metrics, o.log, workers, o.workerOptions)
      : new SwitchService(o.config, cluster, metrics, o.log);
  const monitor = new MonitorService(cluster, o.config.pool);
  // Passive health marks servers down through their checks, which then bring them back. With data-path
  // workers their errors come to the pool's one PassiveHealth on this thread.
  const passive = sw instanceof WorkerPool ? sw.passive : sw.switch.passive;
  passive.markDown = (pool, server, reason) => monitor.monitor.markDown(pool, server, reason);
  const vrrp = new VrrpBridge(o.config, cluster, o.log);
  const global = o.controlPath
    ? {
        ...o.config.global,
        control: { kind: "unix" as const, path: o.controlPath, text: `unix:${o.controlPath}` },
      }
    : o.config.global;
  const describe = (): DaemonDescription => ({
    version: o.version,
    startedAt: d.startedAt,
    configFile: o.file,
    configHash: d.hash,
    role: "serve",
    vrrp: d.config.vrrp,
    pendingRestart: d.pendingRestart,
    listeners: d.config.virtual_server.map((vs) => ({
      virtual_server: vs.name,
      listen: vs.listen.map((l) => l.text),
      mode: vs.mode,
      pool: vs.pool,
      tls: vs.tls?.loaded?.map((c) => c.toJSON()),
    })),
    workers: sw instanceof WorkerPool ? sw.workers() : [singleWorker(cluster, sw)],
  });
  const control = new ControlService(global, {
    cluster,
    sync: () => (sw instanceof WorkerPool ? sw.flush() : Promise.resolve()),
    logger: o.log,
    describe,
    actions: {
      // The control handler emits the reload event itself: do not announce it twice.
      reload: () => d.applyReload(),
      checkNow: async (pool, server) => {
        const outcomes = await monitor.monitor.checkNow(pool, server);
        const failed = outcomes.find((x) => !x.ok);
        const first = failed ?? outcomes[0];
        return {
          ok: !failed,
          reason: first?.reason ?? "no checks configured",
          latencyMs: first?.latencyMs ?? 0,
          at: Date.now(),
        };
      },
      vrrp: (instance, action, priority) => vrrp.action(instance, action, priority),
    },
  });
  return d.use({
    services: [
      sw,
      control,
      new MetricsService(o.config.global.metrics, metrics, o.log, pageSource(cluster, describe)),
      monitor,
      vrrp,
    ],
    preflight: (current, next) => checkNewListeners(current.virtual_server, next.virtual_server),
    ready: () => [
      "tcpvs serving",
      {
        config: o.file,
        listeners: d.config.virtual_server.flatMap((v) => v.listen.map((l) => l.text)),
        control: control.address,
      },
    ],
  });
}

/** `workers = 1`: the main thread is worker 0. */
function singleWorker(
  cluster: Cluster,
  sw: SwitchService,
): { id: number; connections: number; requests: number; queued: number } {
  let requests = 0;
  for (const p of cluster.pools.values()) for (const s of p.servers) requests += s.requests;
  const queued = cluster.counters.get("queue.wait") ?? 0;
  return { id: 0, connections: sw.switch.connectionCount(), requests, queued };
}
