// The data path as a service: the listeners and the L7/TCP switch, the schedulers it picks servers
// with, and the cluster model's pools kept in step with the config on reload.

import type { PoolConfig, TcpvsConfig } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import type { Histogram } from "../metrics/histogram.ts";
import type { MetricsRegistry, ResponseCounter } from "../metrics/metrics-registry.ts";
import {
  createPoolScheduling,
  type PoolScheduling,
  type SchedulingParts,
  systemEnv,
} from "../sched/registry.ts";
import type { Cluster } from "../state/cluster.ts";
import { reconcileCluster } from "../state/from-config.ts";
import { Switch, type SwitchOptions } from "../switch/switch.ts";
import { type NofileLimit, raiseNofile } from "../sys/fd-limit.ts";
import { fdBudget } from "./fd-budget.ts";
import type { LoadedConfig, Service } from "./service.ts";

/** What a data-path worker (switch-worker.ts) changes: shared scheduling state, listener options. */
export interface SwitchServiceExtras {
  parts?(pool: string): SchedulingParts;
  switchOptions?: Partial<SwitchOptions>;
  /** After a reload reconciled the cluster's servers, before the schedulers are rebuilt over them. */
  reconciled?(): void;
  /**
   * This many switches (data-path workers) share the process's descriptors: the reserve counts each
   * listener once per worker, and they count open connections together, so each checks the whole
   * ceiling.
   */
  ceilingShares?: number;
}

export class SwitchService implements Service {
  readonly name = "switch";
  private config: TcpvsConfig;
  private readonly cluster: Cluster;
  private readonly metrics: Pick<MetricsRegistry, "responses" | "poolLatency">;
  private readonly extra: SwitchServiceExtras;
  private readonly log: Logger;
  private readonly scheduling = new Map<string, PoolScheduling>();
  readonly switch: Switch;
  // Handles per (virtual server, pool), found by two map lookups: no key string built per request.
  private readonly handles = new Map<
    string,
    Map<string, { responses: ResponseCounter; latency: Histogram }>
  >();

  constructor(
    config: TcpvsConfig,
    cluster: Cluster,
    metrics: Pick<MetricsRegistry, "responses" | "poolLatency">,
    log: Logger,
    extra: SwitchServiceExtras = {},
  ) {
    this.extra = extra;
    this.config = config;
    this.cluster = cluster;
    this.metrics = metrics;
    this.log = log;
    this.buildSchedulers(new Set(cluster.pools.keys()));
    this.switch = new Switch({
      cluster,
      schedulerFor: (pool) => this.scheduling.get(pool)?.scheduler,
      cookieFor: (pool) => this.scheduling.get(pool)?.cookie,
      pools: config.pool,
      log,
      maxHeldBytes: config.global.max_held_bytes,
      observe: (vs, pool, status, seconds, cut) => this.observe(vs, pool ?? "", status, seconds, cut),
      ...extra.switchOptions,
    });
  }

  private observe(vs: string, pool: string, status: number, seconds: number, cut?: string): void {
    let byPool = this.handles.get(vs);
    if (!byPool) {
      byPool = new Map();
      this.handles.set(vs, byPool);
    }
    let h = byPool.get(pool);
    if (!h) {
      h = { responses: this.metrics.responses(vs, pool), latency: this.metrics.poolLatency(pool) };
      byPool.set(pool, h);
    }
    h.responses.inc(status, cut !== undefined);
    this.cluster.countResponses(vs, status);
    h.latency.observe(seconds);
  }

  private buildSchedulers(pools: Set<string>): void {
    for (const name of pools) {
      const state = this.cluster.pools.get(name);
      const cfg = this.config.pool[name];
      if (!state || !cfg) {
        this.scheduling.delete(name);
        continue;
      }
      const sched = createPoolScheduling(cfg, state.servers, systemEnv, this.extra.parts?.(name));
      this.scheduling.set(name, sched);
      state.onChange = () => sched.scheduler.update();
    }
  }

  private nofile: NofileLimit | undefined;
  private ceiling = 0;

  /** Size the global connection ceiling from the descriptor limit and the config (start and reload). */
  private applyCeiling(announce: boolean): void {
    const lim = this.nofile;
    if (!lim) return;
    const b = fdBudget(lim.soft, this.config, this.extra.ceilingShares ?? 1);
    const changed = b.ceiling !== this.ceiling;
    this.ceiling = b.ceiling;
    this.switch.setCeiling(b.ceiling);
    if (b.capped)
      this.log.warn(
        "[global] max_connections is more than the descriptor limit allows: using the lower figure",
        {
          asked: this.config.global.max_connections,
          max_connections: b.ceiling,
          nofile: lim.soft,
          fix: "raise LimitNOFILE (ulimit -n)",
        },
      );
    if (announce || changed)
      this.log.info("connection ceiling", {
        max_connections: b.ceiling,
        nofile: lim.soft,
        nofile_was: lim.was,
        nofile_hard: lim.hard,
        reserve: b.reserve,
        formula: "(nofile - reserve) / 2",
        ...(this.extra.ceilingShares
          ? { workers: this.extra.ceilingShares, counted: "over every worker" }
          : {}),
        ...(lim.error ? { raise_failed: lim.error } : {}),
      });
  }

  async start(): Promise<void> {
    // Before any socket: as many descriptors as we may have (HAProxy and nginx do the same).
    try {
      this.nofile = raiseNofile();
    } catch (e) {
      this.log.warn("Cannot read the descriptor limit: no global connection ceiling", { error: String(e) });
    }
    this.applyCeiling(true);
    for (const vs of this.config.virtual_server) await this.switch.listen(vs);
  }

  /** The ports a virtual server is bound to (port 0 in tests becomes a real one). */
  ports(vs: string): number[] {
    return this.switch.ports(vs);
  }

  async reload(next: LoadedConfig): Promise<void> {
    const changed = reconcileCluster(this.cluster, next.config);
    this.extra.reconciled?.();
    // reconcileCluster only knows server sets; a new scheduler or its options need a rebuild too.
    for (const [name, cfg] of Object.entries(next.config.pool)) {
      const old = this.config.pool[name];
      if (old && schedulingKey(old) !== schedulingKey(cfg)) changed.add(name);
    }
    this.config = next.config;
    this.buildSchedulers(changed);
    this.switch.held.setMax(next.config.global.max_held_bytes);
    this.applyCeiling(false);
    await this.switch.reload(next.config.virtual_server, next.config.pool);
  }

  /** Stop accepting now; requests in flight get graceMs. A second call with 0 cuts them. */
  stop(graceMs: number): Promise<void> {
    return this.switch.close(graceMs);
  }

  /** Each server's state and counters, as keepalived dumps its data. */
  dump(): void {
    dumpServers(this.cluster, this.log);
    const held = this.switch.held;
    this.log.info("state held", {
      held_bytes: held.used,
      max_held_bytes: held.max,
      peak_held_bytes: held.peak,
      waiting: held.waitingCount,
    });
  }
}

/** What a pool's scheduler is built from: when it differs, the scheduler is rebuilt on reload. */
function schedulingKey(p: PoolConfig): string {
  return JSON.stringify([p.scheduler, p.scheduler_options, p.persistence_timeout, p.persistence_granularity]);
}

/** Each server's state and counters, a line each (SIGUSR1), whichever runs the data path. */
export function dumpServers(cluster: Cluster, log: Logger): void {
  for (const [name, pool] of cluster.pools) {
    for (const s of pool.servers) {
      log.info("state server", {
        pool: name,
        server: s.id,
        up: s.up,
        weight: s.weight,
        active: s.active,
        requests: s.requests,
        errors: s.errors,
        last_check: s.lastCheck?.reason,
      });
    }
  }
}
