// A daemon is an ordered list of services for one role (`serve`, `vrrp`): started in order (a failure
// stops the ones started, in reverse), reloaded in order (a failure puts the previous config back on
// every one), stopped in reverse (observers such as the control channel last), dumped in order. The
// roles only choose the list (serve-role.ts, vrrp-role.ts); the signal loop is run-daemon.ts.

import { ConfigError, formatProblem, loadConfig } from "../config/load.ts";
import type { TcpvsConfig } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import type { Cluster } from "../state/cluster.ts";
import { setScriptUser } from "../exec/script-user.ts";
import { monotonicUsec } from "../sys/libc.ts";
import { pendingRestart, reloadSummary } from "./reload-summary.ts";
import type { LoadedConfig, Service } from "./service.ts";

export type ReloadOutcome = {
  ok: boolean;
  errors?: string[];
  /** Settings read from the file that wait for a restart (see reload-summary.ts). */
  pendingRestart?: string[];
  /** One line: what the reload changed. */
  changes?: string;
};

export interface DaemonOptions {
  role: "serve" | "vrrp";
  file: string;
  config: TcpvsConfig;
  hash: string;
  log: Logger;
  cluster: Cluster;
  /** Re-read the config file (tests and the demo inject their own). */
  reloadSource?: () => LoadedConfig;
  /** Tell the service manager (sd_notify) about READY/RELOADING/STOPPING. */
  notify?: (state: string) => void;
}

/** What a role adds to the common lifecycle. */
export interface DaemonRole {
  services: Service[];
  /** The line logged once every service runs. */
  ready(): [msg: string, fields: Record<string, unknown>];
  /** Problems that refuse a new config before any service sees it (a listener that cannot bind). */
  preflight?(current: TcpvsConfig, next: TcpvsConfig): string[];
  /** Set when the role applies its settings only at restart: SIGHUP logs this instead of reloading. */
  noReload?: string;
}

export class Daemon {
  readonly role: DaemonOptions["role"];
  readonly cluster: Cluster;
  readonly startedAt = Date.now();
  private current: LoadedConfig;
  /** The config the process started with: what restart-only settings still run on. */
  private readonly initial: TcpvsConfig;
  private readonly o: DaemonOptions;
  private readonly log: Logger;
  private r: DaemonRole = { services: [], ready: () => ["started", {}] };
  private readonly started: Service[] = [];
  private running = false;
  private stopped: Promise<void> | undefined;
  private draining: Service | undefined;
  private hurried = false;
  private reloading: Promise<ReloadOutcome> | undefined;

  constructor(o: DaemonOptions) {
    this.o = o;
    this.role = o.role;
    this.log = o.log;
    this.cluster = o.cluster;
    this.current = { config: o.config, hash: o.hash };
    this.initial = o.config;
  }

  /** Settings in the loaded file that apply only at restart and differ from what runs. */
  get pendingRestart(): string[] {
    return pendingRestart(this.initial, this.current.config);
  }

  /** The role's services; set once, before start (they may refer to the daemon, so they come after it). */
  use(role: DaemonRole): this {
    this.r = role;
    return this;
  }

  get file(): string {
    return this.o.file;
  }

  get config(): TcpvsConfig {
    return this.current.config;
  }

  get hash(): string {
    return this.current.hash;
  }

  get isStarted(): boolean {
    return this.running;
  }

  /** A service of this role, by name ("switch"), for callers that need more than the contract. */
  service<T extends Service>(name: string): T | undefined {
    return this.r.services.find((s) => s.name === name) as T | undefined;
  }

  async start(): Promise<void> {
    setScriptUser(this.current.config.global.script_user);
    for (const s of this.r.services) {
      await s.start();
      this.started.push(s);
    }
    this.running = true;
    this.o.notify?.("READY=1");
    const [msg, fields] = this.r.ready();
    this.log.info(msg, fields);
  }

  /** SIGHUP: re-read the config; a bad one is refused with its errors and the old one keeps serving. */
  async reload(): Promise<ReloadOutcome> {
    if (this.r.noReload) {
      this.log.warn(this.r.noReload);
      return { ok: false, errors: [this.r.noReload] };
    }
    const r = await this.applyReload();
    const at = Date.now();
    this.cluster.emit(
      r.ok
        ? { type: "reload", ok: true, at, pendingRestart: r.pendingRestart ?? [] }
        : { type: "reload", ok: false, errors: r.errors ?? [], at },
    );
    return r;
  }

  /** One reload at a time: a second request while one runs gets the same outcome. */
  applyReload(): Promise<ReloadOutcome> {
    if (!this.running) return Promise.resolve({ ok: false, errors: ["tcpvs is still starting: try again"] });
    this.reloading ??= this.doReload().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  private async doReload(): Promise<ReloadOutcome> {
    this.o.notify?.(`RELOADING=1\nMONOTONIC_USEC=${monotonicUsec()}`);
    const refuse = (errors: string[]): ReloadOutcome => {
      this.log.error("reload refused: the running config stays", { errors });
      this.o.notify?.("READY=1");
      return { ok: false, errors };
    };
    let next: LoadedConfig;
    try {
      next = this.o.reloadSource ? this.o.reloadSource() : loadConfig(this.o.file);
    } catch (e) {
      // Word for word what `tcpvs config check` prints: the error's first line (FILE:LINE:COLUMN and
      // all) in the log line's text; the problems, or the source frame under a syntax error, as a field.
      const lines = (e instanceof Error ? e.message : String(e)).split("\n");
      const problems =
        e instanceof ConfigError && e.problems.length > 0 ? e.problems.map(formatProblem) : undefined;
      this.log.error(`reload refused, the running config stays: ${lines[0]}`, {
        detail: lines.slice(1),
      });
      this.o.notify?.("READY=1");
      return { ok: false, errors: problems ?? lines };
    }
    for (const w of next.warnings ?? []) this.log.warn(formatProblem(w));
    const unbindable = this.r.preflight?.(this.current.config, next.config) ?? [];
    if (unbindable.length) return refuse(unbindable);
    const prev = this.current;
    const changes = reloadSummary(prev.config, next.config);
    try {
      await this.apply(next);
    } catch (e) {
      const errors = [e instanceof Error ? e.message : String(e)];
      // Put the previous config back, so "refused" stays true: the same pools, rules and listeners.
      this.log.error("reload failed part-way: restoring the previous config", { errors });
      await this.apply(prev).catch((e2: unknown) =>
        this.log.error("restoring the previous config failed", { error: String(e2) }),
      );
      this.o.notify?.("READY=1");
      return { ok: false, errors };
    }
    const pending = this.pendingRestart;
    this.log.info(`config reloaded: ${changes}`, {
      config: this.o.file,
      sha256: this.current.hash.slice(0, 12),
    });
    if (pending.length)
      this.log.warn(`these settings wait for a restart: ${pending.join(", ")}`, { pending_restart: pending });
    this.o.notify?.("READY=1");
    return { ok: true, pendingRestart: pending, changes };
  }

  private async apply(next: LoadedConfig): Promise<void> {
    setScriptUser(next.config.global.script_user);
    this.current = next;
    for (const s of this.started) await s.reload(next);
  }

  /** SIGUSR1: the whole state to the log, as keepalived dumps its data. */
  dump(): void {
    for (const s of this.started) s.dump();
    this.log.info("state counters", Object.fromEntries(this.cluster.counters));
  }

  /** A second Ctrl-C during stop: cut what is still draining instead of waiting out grace. */
  hurry(): void {
    if (!this.stopped || this.hurried) return;
    this.hurried = true;
    this.log.warn("closing the connections still in flight now");
    if (this.draining) void this.draining.stop(0);
  }

  /** Stop the services in reverse order of start; requests in flight get the grace period. */
  stop(graceMs = this.current.config.global.grace): Promise<void> {
    this.stopped ??= this.stopAll(graceMs);
    return this.stopped;
  }

  private async stopAll(graceMs: number): Promise<void> {
    this.o.notify?.("STOPPING=1");
    // A start that failed is unwound silently: "stopping" would read as if it had been running.
    if (this.running) this.log.info("tcpvs stopping", { grace_ms: graceMs });
    const reversed = this.started.splice(0).reverse();
    const order = [...reversed.filter((s) => !s.stopsLast), ...reversed.filter((s) => s.stopsLast)];
    for (const s of order) {
      this.draining = s;
      await s
        .stop(this.hurried ? 0 : graceMs)
        .catch((e: unknown) => this.log.error(`Cannot stop ${s.name} cleanly`, { error: String(e) }));
    }
    this.draining = undefined;
    for (const s of order)
      await s
        .settle?.()
        .catch((e: unknown) => this.log.error(`Cannot settle ${s.name}`, { error: String(e) }));
    this.running = false;
  }
}
