// Runs every configured check on its schedule and writes the verdicts into the cluster state: a
// server is healthy while all its checks pass; a pool has quorum while its live weight allows.
// Time, randomness, timers, the probe itself and notify commands are injected, so the whole
// behaviour can be driven by a fake clock in tests.

import type { CheckConfig, Endpoint, PoolConfig, ServerConfig } from "../config/types.ts";
import { type Logger, log as defaultLog } from "../log/logger.ts";
import type { Cluster, PoolState } from "../state/cluster.ts";
import { runOneCheck } from "./registry.ts";
import { CheckState, firstDelay } from "./check-state.ts";
import { FlapLog } from "../log/flap-log.ts";
import { type NotifyEvent, type QuorumEvent, runNotify, runQuorumNotify } from "./notify.ts";
import { liveWeight, nextQuorum } from "./quorum.ts";
import { fdShortage } from "../sys/fd-limit.ts";
import type { CheckOutcome } from "./types.ts";
import { TcpvsError } from "../errors/tcpvs-error.ts";

export interface MonitorEnv {
  now(): number;
  random(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
  runCheck(check: CheckConfig, server: ServerConfig): Promise<CheckOutcome>;
  notify(command: string, e: NotifyEvent): void;
  /** quorum_up / quorum_down. */
  quorumNotify(command: string, e: QuorumEvent): void;
  logger: Logger;
  /** Transition lines per server per window before a flapping server is summarised. */
  flapLimit: number;
  flapWindowMs: number;
  /**
   * "EMFILE"/"ENFILE" when this host is out of descriptors: a failed check then says nothing about
   * the server (Bun reports the socket it could not create as a refused connect) and is not counted.
   */
  localShortage(): string | undefined;
}

interface CheckWatch {
  cfg: CheckConfig;
  state: CheckState;
  timer: unknown;
  /** Last weight a dynamic script reported; kept across exit-0 runs, as keepalived does. */
  weight: number | undefined;
}

interface ServerWatch {
  pool: string;
  cfg: ServerConfig;
  checks: CheckWatch[];
}

interface PoolWatch {
  cfg: PoolConfig;
  state: PoolState;
  servers: Map<string, ServerWatch>;
}

export function defaultMonitorEnv(): MonitorEnv {
  return {
    now: () => Date.now(),
    random: Math.random,
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    runCheck: (check, server) => runOneCheck(check, server.address),
    notify: runNotify,
    quorumNotify: runQuorumNotify,
    logger: defaultLog.child({ subsystem: "check" }),
    flapLimit: 4,
    flapWindowMs: 60_000,
    localShortage: fdShortage,
  };
}

/** Where a pool's traffic goes while it has lost quorum (undefined: its servers as usual). */
export function sorryServer(pool: PoolState, cfg: PoolConfig): Endpoint | undefined {
  return pool.quorumUp ? undefined : cfg.sorry_server;
}

export class HealthMonitor {
  private readonly env: MonitorEnv;
  private cluster: Cluster | undefined;
  private pools = new Map<string, PoolWatch>();
  private flap: FlapLog;
  private flushTimers = new Map<string, unknown>();
  /** Bumped by stop(): results of checks started before it are dropped. */
  private generation = 0;

  constructor(env: Partial<MonitorEnv> = {}) {
    this.env = { ...defaultMonitorEnv(), ...env };
    this.flap = new FlapLog(this.env.flapLimit, this.env.flapWindowMs);
  }

  /**
   * Check the pools' servers from now on. Calling it again (a reload) with the same cluster keeps the
   * state of every check whose server address and check settings did not change.
   */
  start(cluster: Cluster, pools: Record<string, PoolConfig>): void {
    const previous = this.cluster === cluster ? this.pools : new Map<string, PoolWatch>();
    this.stop();
    this.cluster = cluster;
    const now = this.env.now();
    for (const cfg of Object.values(pools)) {
      const state = cluster.pools.get(cfg.name);
      if (!state) {
        this.env.logger.warn("health checks skipped: the pool is not in the cluster state", {
          pool: cfg.name,
        });
        continue;
      }
      const pw: PoolWatch = { cfg, state, servers: new Map() };
      this.pools.set(cfg.name, pw);
      for (const scfg of cfg.server) {
        if (!state.server(scfg.name)) continue;
        const old = previous.get(cfg.name)?.servers.get(scfg.name);
        const same = old?.cfg.address.text === scfg.address.text;
        const checks = cfg.check.map((c, i): CheckWatch => {
          const kept = same ? old?.checks[i] : undefined;
          if (kept && JSON.stringify(kept.cfg) === JSON.stringify(c))
            return { ...kept, cfg: c, timer: undefined };
          return { cfg: c, state: new CheckState(c), timer: undefined, weight: undefined };
        });
        const sw: ServerWatch = { pool: cfg.name, cfg: scfg, checks };
        pw.servers.set(scfg.name, sw);
        const healthy = checks.every((c) => c.state.up);
        cluster.updateServer(
          cfg.name,
          scfg.name,
          (s) => {
            s.healthy = healthy;
            s.inhibited = !healthy && cfg.inhibit_on_failure;
            s.dynamicWeight = dynamicWeightOf(checks);
            s.weightSource = s.dynamicWeight === undefined ? "config" : "check";
            s.weightSetAt = undefined;
          },
          healthy ? "start" : "down until a check passes",
          now,
        );
        for (const c of checks) this.schedule(sw, c, firstDelay(c.cfg, this.env.random()));
      }
      this.evaluateQuorum(pw, now);
    }
  }

  /**
   * The daemon stops: keepalived's omega. For each pool with `omega`, notify_down runs for every live
   * server and quorum_down if the pool had quorum, so whatever they drive learns the pool is gone.
   * Then the checks stop.
   */
  shutdown(): void {
    for (const pw of this.pools.values()) {
      if (!pw.cfg.omega) continue;
      for (const sw of pw.servers.values()) {
        if (!pw.state.server(sw.cfg.name)?.up || !pw.cfg.notify_down) continue;
        this.env.notify(pw.cfg.notify_down, {
          pool: sw.pool,
          server: sw.cfg.name,
          address: sw.cfg.address.text,
          state: "DOWN",
          reason: "shutdown (omega)",
        });
      }
      if (pw.state.quorumUp && pw.cfg.quorum_down) {
        this.env.quorumNotify(pw.cfg.quorum_down, { pool: pw.cfg.name, state: "DOWN", liveWeight: 0 });
      }
    }
    this.stop();
  }

  stop(): void {
    this.generation++;
    for (const pw of this.pools.values()) {
      for (const sw of pw.servers.values()) for (const c of sw.checks) this.env.clearTimer(c.timer);
    }
    for (const t of this.flushTimers.values()) this.env.clearTimer(t);
    this.flushTimers.clear();
    this.pools = new Map();
  }

  /** Run all checks of one server now and apply the results; the regular schedule goes on. */
  async checkNow(pool: string, server: string): Promise<CheckOutcome[]> {
    const sw = this.pools.get(pool)?.servers.get(server);
    if (!sw) throw new MonitorError(`Name a configured server: "${pool}/${server}" is not checked`);
    const gen = this.generation;
    return Promise.all(
      sw.checks.map(async (c) => {
        const out = await this.probe(c.cfg, sw.cfg);
        if (gen === this.generation) this.apply(sw, c, out);
        return out;
      }),
    );
  }

  private schedule(sw: ServerWatch, c: CheckWatch, ms: number): void {
    const gen = this.generation;
    c.timer = this.env.setTimer(async () => {
      const out = await this.probe(c.cfg, sw.cfg);
      if (gen !== this.generation) return;
      const local = out.ok ? undefined : this.env.localShortage();
      if (local !== undefined) {
        this.ignored(sw, local);
        this.schedule(sw, c, c.cfg.interval);
        return;
      }
      let next = c.cfg.interval;
      try {
        next = this.apply(sw, c, out);
      } catch (e) {
        // A throwing watcher or logger must not stop this server's checks for good.
        this.env.logger.error("Cannot apply a check result", {
          pool: sw.pool,
          server: sw.cfg.name,
          error: e,
        });
      }
      this.schedule(sw, c, next);
    }, ms);
  }

  private ignoredLogAt = Number.NEGATIVE_INFINITY;
  private ignoredCount = 0;

  /** A failed check not counted (this host's fault): one line per 10 s at most, with a count. */
  private ignored(sw: ServerWatch, code: string): void {
    this.ignoredCount++;
    const now = this.env.now();
    if (now - this.ignoredLogAt < 10_000) return;
    this.env.logger.warn("Check failures not counted: this host is out of file descriptors", {
      reason: code,
      count: this.ignoredCount,
      pool: sw.pool,
      server: sw.cfg.name,
    });
    this.ignoredLogAt = now;
    this.ignoredCount = 0;
  }

  private async probe(check: CheckConfig, server: ServerConfig): Promise<CheckOutcome> {
    try {
      return await this.env.runCheck(check, server);
    } catch (e) {
      return { ok: false, reason: `check failed to run: ${(e as Error).message}`, latencyMs: 0 };
    }
  }

  /** Apply one result; returns the delay before this check runs again. */
  private apply(sw: ServerWatch, c: CheckWatch, out: CheckOutcome): number {
    const now = this.env.now();
    const pw = this.pools.get(sw.pool);
    const cluster = this.cluster;
    const verdict = c.state.record(out.ok);
    const weightBefore = dynamicWeightOf(sw.checks);
    if (out.ok && out.weight !== undefined && c.cfg.dynamic) c.weight = out.weight;
    if (!pw || !cluster) return verdict.next;
    const healthy = sw.checks.every((x) => x.state.up);
    // The checks set the weight only when what they say changes: a weight the operator set through the
    // control channel stands until a dynamic check reports a different one (the last word wins).
    const dynamicWeight = dynamicWeightOf(sw.checks);
    const weightChanged = dynamicWeight !== weightBefore;
    const failing = sw.checks.find((x) => !x.state.up);
    const reason = healthy
      ? `${c.cfg.type}: ${out.reason}`
      : `${failing?.cfg.type}: ${failing === c ? out.reason : "failing"}`;
    const s = pw.state.server(sw.cfg.name);
    const wasHealthy = s?.healthy;
    const wasWeight = s?.weight;
    cluster.updateServer(
      sw.pool,
      sw.cfg.name,
      (st) => {
        st.healthy = healthy;
        if (weightChanged) {
          st.dynamicWeight = dynamicWeight;
          st.weightSource = dynamicWeight === undefined ? "config" : "check";
          st.weightSetAt = undefined;
        }
        st.inhibited = !healthy && pw.cfg.inhibit_on_failure;
        st.lastCheck = { ok: out.ok, reason: out.reason, latencyMs: out.latencyMs, at: now };
      },
      reason,
      now,
    );
    if (s && wasHealthy !== healthy) this.transition(pw, sw, healthy, reason, now);
    else if (s && wasWeight !== s.weight) {
      this.env.logger.debug("server weight changed", {
        pool: sw.pool,
        server: sw.cfg.name,
        from: wasWeight,
        to: s.weight,
        reason,
      });
    }
    this.evaluateQuorum(pw, now);
    return verdict.next;
  }

  /**
   * Passive health saw `server` fail on live traffic: down now, as if its checks had failed, and back
   * only after `rise` passes. False when the server has no checks here.
   */
  markDown(pool: string, server: string, reason: string): boolean {
    const pw = this.pools.get(pool);
    const sw = pw?.servers.get(server);
    const cluster = this.cluster;
    if (!pw || !sw || !cluster || sw.checks.length === 0) return false;
    for (const c of sw.checks) c.state.forceDown();
    const now = this.env.now();
    const s = pw.state.server(server);
    const was = s?.healthy;
    cluster.updateServer(
      pool,
      server,
      (st) => {
        st.healthy = false;
        st.inhibited = pw.cfg.inhibit_on_failure;
      },
      reason,
      now,
    );
    if (s && was) this.transition(pw, sw, false, reason, now);
    this.evaluateQuorum(pw, now);
    return true;
  }

  private transition(pw: PoolWatch, sw: ServerWatch, up: boolean, reason: string, now: number): void {
    const key = `${sw.pool}/${sw.cfg.name}`;
    const state = up ? "UP" : "DOWN";
    const fields = { pool: sw.pool, server: sw.cfg.name, address: sw.cfg.address.text };
    const line = `Server ${key} (${sw.cfg.address.text}) is ${state}: ${reason}`;
    this.limitedLog(key, up ? "info" : "warn", line, fields, now);
    const command = up ? pw.cfg.notify_up : pw.cfg.notify_down;
    if (command) this.env.notify(command, { ...fields, state, reason });
  }

  /** Log a transition of `key` unless it flaps; a flapping key gets one notice and later a summary. */
  private limitedLog(
    key: string,
    level: "info" | "warn",
    line: string,
    fields: Record<string, unknown>,
    now: number,
  ) {
    const { decision, closed } = this.flap.decide(key, now);
    if (closed) this.logSummary(closed.key, closed.suppressed, closed.windowMs);
    if (decision === "log") {
      this.env.logger.log(level, line, fields);
      return;
    }
    if (decision !== "suppress-first") return;
    this.env.logger.warn(
      `${label(key)} is flapping: holding its transition lines for up to ${Math.round(this.flap.windowMs / 1000)} s`,
      fields,
    );
    const end = this.flap.windowEnd(key) ?? now;
    this.env.clearTimer(this.flushTimers.get(key));
    this.flushTimers.set(
      key,
      this.env.setTimer(
        () => {
          this.flushTimers.delete(key);
          for (const f of this.flap.flush(this.env.now())) this.logSummary(f.key, f.suppressed, f.windowMs);
        },
        Math.max(0, end - now),
      ),
    );
  }

  private logSummary(key: string, suppressed: number, windowMs: number): void {
    this.env.logger.warn(
      `${label(key)} flapped: ${suppressed} more transition(s) in ${Math.round(windowMs / 1000)} s not logged; now ${this.describe(key)}`,
      { key, suppressed },
    );
  }

  /** Current state of a flap key: "pool:NAME" or "POOL/SERVER". */
  private describe(key: string): string {
    if (key.startsWith("pool:")) return this.pools.get(key.slice(5))?.state.quorumUp ? "quorum" : "no quorum";
    const [pool, server] = key.split("/") as [string, string];
    return this.pools.get(pool)?.state.server(server)?.up ? "UP" : "DOWN";
  }

  private evaluateQuorum(pw: PoolWatch, now: number): void {
    const live = liveWeight(pw.state.servers);
    const next = nextQuorum(pw.state.quorumUp, live, pw.cfg);
    if (next === pw.state.quorumUp) return;
    pw.state.quorumUp = next;
    pw.state.onChange?.();
    this.cluster?.emit({ type: "pool", pool: pw.cfg.name, quorum: next, at: now });
    const sorry = pw.cfg.sorry_server ? `; sorry server ${pw.cfg.sorry_server.text}` : "";
    const fields = {
      pool: pw.cfg.name,
      live_weight: live,
      quorum: pw.cfg.quorum,
      hysteresis: pw.cfg.hysteresis,
    };
    const line = next
      ? `Pool ${pw.cfg.name} has quorum again (live weight ${live})`
      : `Pool ${pw.cfg.name} lost quorum (live weight ${live})${sorry}`;
    this.limitedLog(`pool:${pw.cfg.name}`, next ? "info" : "warn", line, fields, now);
    const command = next ? pw.cfg.quorum_up : pw.cfg.quorum_down;
    if (command)
      this.env.quorumNotify(command, { pool: pw.cfg.name, state: next ? "UP" : "DOWN", liveWeight: live });
  }
}

/** The weight dynamic scripts set (the lowest, if several); undefined leaves the config weight. */
function dynamicWeightOf(checks: CheckWatch[]): number | undefined {
  const ws = checks.map((c) => c.weight).filter((w): w is number => w !== undefined);
  return ws.length > 0 ? Math.min(...ws) : undefined;
}

/** "pool:web" -> "Pool web", "web/s1" -> "Server web/s1". */
function label(key: string): string {
  return key.startsWith("pool:") ? `Pool ${key.slice(5)}` : `Server ${key}`;
}

export class MonitorError extends TcpvsError {
  declare readonly code: "unknown_server";
  constructor(message: string) {
    super("unknown_server", message);
    this.name = "MonitorError";
  }
}
