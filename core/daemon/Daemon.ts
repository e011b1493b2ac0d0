// `tcpvs serve` put together: one cluster model and, around it, the switch, the health monitor, the
// schedulers, VRRP (in its own Worker), the control channel and metrics. This file only wires them and
// owns the lifecycle (start, reload, stop, state dump); each part stays testable on its own.

import { HealthMonitor } from "../check/health-monitor.ts";
import { loadConfig } from "../config/load.ts";
import type { PoolConfig, TcpvsConfig } from "../config/types.ts";
import type { ControlServer } from "../control/ControlServer.ts";
import { startControl } from "../control/startControl.ts";
import type { Logger } from "../log/logger.ts";
import type { Histogram } from "../metrics/Histogram.ts";
import { MetricsRegistry, type ResponseCounter } from "../metrics/MetricsRegistry.ts";
import { MetricsServer } from "../metrics/MetricsServer.ts";
import { createPoolScheduling, type PoolScheduling } from "../sched/registry.ts";
import type { Cluster } from "../state/cluster.ts";
import { type NofileLimit, raiseNofile } from "../sys/fd-limit.ts";
import { monotonicUsec } from "../sys/libc.ts";
import { clusterFromConfig, reconcileCluster } from "../state/from-config.ts";
import { Switch } from "../switch/switch.ts";
import { fdBudget } from "./fd-budget.ts";
import { restartOnlyChanges } from "./restartOnlyChanges.ts";
import { checkNewListeners } from "./preflight.ts";
import { VrrpBridge } from "./VrrpBridge.ts";

export interface DaemonOptions {
  file: string;
  config: TcpvsConfig;
  hash: string;
  log: Logger;
  version: string;
  /** Re-read the config file (tests inject their own). */
  reloadSource?: () => { config: TcpvsConfig; hash: string };
  /** Override the control endpoint (the demo uses a temp socket). */
  controlPath?: string;
  /** Tell the service manager (sd_notify) about READY/RELOADING/STOPPING. */
  notify?: (state: string) => void;
}

export class Daemon {
  readonly cluster: Cluster;
  readonly metrics: MetricsRegistry;
  readonly startedAt = Date.now();
  private config: TcpvsConfig;
  private hash: string;
  private readonly o: DaemonOptions;
  private readonly log: Logger;
  private readonly scheduling = new Map<string, PoolScheduling>();
  private readonly monitor = new HealthMonitor();
  private readonly switch: Switch;
  private readonly vrrp: VrrpBridge;
  private control: ControlServer | undefined;
  private metricsServer: MetricsServer | undefined;
  private started = false;
  private stopping = false;
  private reloading: Promise<{ ok: boolean; errors?: string[] }> | undefined;

  constructor(o: DaemonOptions) {
    this.o = o;
    this.log = o.log;
    this.config = o.config;
    this.hash = o.hash;
    this.cluster = clusterFromConfig(o.config);
    this.metrics = new MetricsRegistry({
      cluster: this.cluster,
      version: o.version,
      startedAt: this.startedAt,
    });
    this.buildSchedulers(new Set(this.cluster.pools.keys()));
    this.switch = new Switch({
      cluster: this.cluster,
      schedulerFor: (pool) => this.scheduling.get(pool)?.scheduler,
      cookieFor: (pool) => this.scheduling.get(pool)?.cookie,
      pools: o.config.pool,
      log: o.log,
      observe: (vs, pool, status, seconds) => this.observe(vs, pool ?? "", status, seconds),
    });
    this.vrrp = new VrrpBridge(this.cluster, o.log);
  }

  // Handles per (virtual server, pool), found by two map lookups: no key string built per request.
  private readonly handles = new Map<
    string,
    Map<string, { responses: ResponseCounter; latency: Histogram }>
  >();

  private observe(vs: string, pool: string, status: number, seconds: number): void {
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
    h.responses.inc(status);
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
      const sched = createPoolScheduling(cfg, state.servers);
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
    const b = fdBudget(lim.soft, this.config);
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
    // Our own sockets before VRRP: a second daemon started by mistake (control socket or metrics port
    // taken) fails here, before it sends an advert or runs a notify script.
    const global = this.o.controlPath
      ? {
          ...this.config.global,
          control: { kind: "unix" as const, path: this.o.controlPath, text: `unix:${this.o.controlPath}` },
        }
      : this.config.global;
    this.control = await startControl(global, {
      cluster: this.cluster,
      logger: this.log,
      describe: () => ({
        version: this.o.version,
        startedAt: this.startedAt,
        configFile: this.o.file,
        configHash: this.hash,
        role: "serve",
        listeners: this.config.virtual_server.map((vs) => ({
          virtual_server: vs.name,
          listen: vs.listen.map((l) => l.text),
          mode: vs.mode,
          pool: vs.pool,
        })),
      }),
      actions: {
        // The control handler emits the reload event itself: do not announce it twice.
        reload: () => this.applyReload(),
        checkNow: async (pool, server) => {
          const outcomes = await this.monitor.checkNow(pool, server);
          const failed = outcomes.find((o) => !o.ok);
          const o = failed ?? outcomes[0];
          return {
            ok: !failed,
            reason: o?.reason ?? "no checks configured",
            latencyMs: o?.latencyMs ?? 0,
            at: Date.now(),
          };
        },
        vrrp: (instance, action, priority) => this.vrrp.action(instance, action, priority),
      },
    });
    if (this.config.global.metrics)
      this.metricsServer = MetricsServer.start(this.config.global.metrics, this.metrics, this.log);
    this.monitor.start(this.cluster, this.config.pool);
    await this.vrrp.start(this.config);
    this.started = true;
    this.o.notify?.("READY=1");
    this.log.info("tcpvs serving", {
      config: this.o.file,
      listeners: this.config.virtual_server.flatMap((v) => v.listen.map((l) => l.text)),
      control: this.control.address,
    });
  }

  get controlAddress(): string | undefined {
    return this.control?.address;
  }

  /** The ports a virtual server is bound to (port 0 in tests becomes a real one). */
  ports(vs: string): number[] {
    return this.switch.ports(vs);
  }

  /** Re-read the config (SIGHUP); a bad one is refused with its errors and the old one keeps serving. */
  async reload(): Promise<{ ok: boolean; errors?: string[] }> {
    const r = await this.applyReload();
    const at = Date.now();
    this.cluster.emit(
      r.ok ? { type: "reload", ok: true, at } : { type: "reload", ok: false, errors: r.errors ?? [], at },
    );
    return r;
  }

  /** One reload at a time: a second request while one runs gets the same outcome. */
  private applyReload(): Promise<{ ok: boolean; errors?: string[] }> {
    if (!this.started) return Promise.resolve({ ok: false, errors: ["tcpvs is still starting: try again"] });
    this.reloading ??= this.doReload().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  private async doReload(): Promise<{ ok: boolean; errors?: string[] }> {
    this.o.notify?.(`RELOADING=1\nMONOTONIC_USEC=${monotonicUsec()}`);
    let next: { config: TcpvsConfig; hash: string };
    try {
      next = this.o.reloadSource ? this.o.reloadSource() : loadConfig(this.o.file);
    } catch (e) {
      const errors = (e as { problems?: Array<{ message: string }> }).problems?.length
        ? (e as Error).message.split("\n").slice(1)
        : [(e as Error).message];
      this.log.error("reload refused: the running config stays", { errors });
      this.o.notify?.("READY=1");
      return { ok: false, errors };
    }
    const unbindable = checkNewListeners(this.config.virtual_server, next.config.virtual_server);
    if (unbindable.length) {
      this.log.error("reload refused: the running config stays", { errors: unbindable });
      this.o.notify?.("READY=1");
      return { ok: false, errors: unbindable };
    }
    const restart = restartOnlyChanges(this.config.global, next.config.global);
    if (restart.length)
      this.log.warn("these [global] settings apply at restart, not on reload", { settings: restart });
    const prev = { config: this.config, hash: this.hash };
    try {
      await this.apply(next);
    } catch (e) {
      const errors = [(e as Error).message];
      // Put the previous config back, so "refused" stays true: the same pools, rules and listeners.
      this.log.error("reload failed part-way: restoring the previous config", { errors });
      await this.apply(prev).catch((e2: unknown) =>
        this.log.error("restoring the previous config failed", { error: String(e2) }),
      );
      this.o.notify?.("READY=1");
      return { ok: false, errors };
    }
    this.log.info("config reloaded", { config: this.o.file, sha256: this.hash.slice(0, 12) });
    this.o.notify?.("READY=1");
    return { ok: true };
  }

  private async apply(next: { config: TcpvsConfig; hash: string }): Promise<void> {
    const changed = reconcileCluster(this.cluster, next.config);
    // reconcileCluster only knows server sets; a new scheduler or its options need a rebuild too.
    for (const [name, cfg] of Object.entries(next.config.pool)) {
      const old = this.config.pool[name];
      if (old && schedulingKey(old) !== schedulingKey(cfg)) changed.add(name);
    }
    this.config = next.config;
    this.hash = next.hash;
    this.buildSchedulers(changed);
    await this.switch.reload(next.config.virtual_server, next.config.pool);
    this.applyCeiling(false);
    this.monitor.start(this.cluster, next.config.pool);
    await this.vrrp.reload(next.config);
  }

  /** SIGUSR1: the whole state to the log, as keepalived dumps its data. */
  dump(): void {
    for (const [name, pool] of this.cluster.pools) {
      for (const s of pool.servers) {
        this.log.info("state server", {
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
    for (const [name, v] of this.cluster.vrrp) this.log.info("state vrrp", { instance: name, ...v });
    this.log.info("state counters", Object.fromEntries(this.cluster.counters));
  }

  /** A second Ctrl-C during stop: cut the connections still in flight instead of waiting out grace. */
  hurry(): void {
    if (!this.stopping) return;
    this.log.warn("closing the connections still in flight now");
    void this.switch.close(0);
  }

  /** Stop accepting, resign VRRP, let requests in flight finish within the grace period. */
  async stop(graceMs = this.config.global.grace): Promise<void> {
    this.stopping = true;
    this.o.notify?.("STOPPING=1");
    // A start that failed is unwound silently: "stopping" would read as if it had been running.
    if (this.started) this.log.info("tcpvs stopping", { grace_ms: graceMs });
    this.monitor.stop();
    await Promise.all([this.vrrp.stop(), this.switch.close(graceMs)]);
    // Awaited so the unix socket is gone before the process exits.
    await this.control?.stop();
    await this.metricsServer?.stop();
  }
}

/** What a pool's scheduler is built from: when it differs, the scheduler is rebuilt on reload. */
function schedulingKey(p: PoolConfig): string {
  return JSON.stringify([p.scheduler, p.scheduler_options, p.persistence_timeout, p.persistence_granularity]);
}
