// The shared state model: the one place subsystems meet. Checkers and the control channel write
// health and weights, the switch reads them (through the pool's scheduler) and bumps counters, VRRP
// reads pool quorum, the control channel streams the change events. Plain objects and plain fields:
// the request path reads them without calls or allocation.

import type { SchedServer } from "../sched/types.ts";

export interface CheckResult {
  ok: boolean;
  /** Why it failed, or a short success note ("status 200"). */
  reason: string;
  latencyMs: number;
  /** Epoch ms. */
  at: number;
}

export class ServerState implements SchedServer {
  readonly id: string;
  readonly pool: string;
  /** Address text as configured ("10.0.0.1:8080", "unix:/run/app.sock"). */
  readonly address: string;
  backup: boolean;
  maxConnections: number;
  /** Weight from the config. */
  configWeight: number;
  /** Weight set by a dynamic check (script exit code) or the control channel; undefined = config. */
  dynamicWeight: number | undefined = undefined;
  /** Who set the weight in force: the config, an operator (control channel) or a dynamic check. */
  weightSource: "config" | "operator" | "check" = "config";
  /** Epoch ms the operator set the weight; undefined when the weight is not the operator's. */
  weightSetAt: number | undefined = undefined;
  /** Drained by the control channel: quiescent, weight 0 until enabled again. */
  drained = false;
  /** Epoch ms the drain began (shown as how long it has lasted); undefined when not drained. */
  drainedAt: number | undefined = undefined;
  /** Disabled by the control channel: not picked at all. */
  disabled = false;
  /** Epoch ms it was disabled; undefined when not disabled. */
  disabledAt: number | undefined = undefined;
  /** Health from the checkers: all of this server's checks pass. */
  healthy: boolean;
  /** Pool quorum lost with inhibit_on_failure keeps the server but at weight 0. */
  inhibited = false;
  /** Slow start in progress: the share (0–1) of its weight the server gets now (core/switch/slow-start.ts). */
  ramp: number | undefined = undefined;
  /** The weight without slow start. */
  fullWeight = 0;

  // Derived, kept current by recompute() so the hot path reads plain fields.
  up = true;
  weight: number;

  // Counters kept by the switch.
  active = 0;
  inflight = 0;
  totalConnections = 0;
  requests = 0;
  errors = 0;
  /** Responses with a 5xx status this server sent (not tcpvs's own 502/503/504 for it: those are errors). */
  responses5xx = 0;

  lastCheck: CheckResult | undefined = undefined;
  /** Epoch ms of the last up/down change. */
  since: number;

  constructor(
    pool: string,
    id: string,
    address: string,
    weight: number,
    opts: { backup?: boolean; maxConnections?: number; healthy?: boolean; now?: number } = {},
  ) {
    this.pool = pool;
    this.id = id;
    this.address = address;
    this.configWeight = weight;
    this.weight = weight;
    this.backup = opts.backup ?? false;
    this.maxConnections = opts.maxConnections ?? 0;
    this.healthy = opts.healthy ?? true;
    this.since = opts.now ?? Date.now();
    this.recompute();
  }

  /** Recompute `up` and `weight` from the inputs; returns whether either changed. */
  recompute(): boolean {
    const up = this.healthy && !this.disabled;
    const full = this.drained || this.inhibited ? 0 : (this.dynamicWeight ?? this.configWeight);
    this.fullWeight = full;
    // A ramping server gets at least 1, so it is tried at all.
    const weight = this.ramp === undefined || full === 0 ? full : Math.max(1, Math.ceil(full * this.ramp));
    const changed = up !== this.up || weight !== this.weight;
    this.up = up;
    this.weight = weight;
    return changed;
  }
}

export type ClusterEvent =
  | { type: "server"; pool: string; server: string; up: boolean; weight: number; reason: string; at: number }
  | { type: "pool"; pool: string; quorum: boolean; at: number }
  | { type: "vrrp"; instance: string; state: string; priority: number; reason: string; at: number }
  | { type: "reload"; ok: boolean; errors?: string[]; pendingRestart?: string[]; at: number }
  | { type: "action"; action: string; peer: string; detail: Record<string, unknown>; at: number };

export interface VrrpOperatorState {
  /** Held in BACKUP by `status vrrp NAME backup` until `normal`. */
  held: boolean;
  /** Epoch ms the hold began. */
  heldAt?: number;
  /** Priority set by `status vrrp NAME priority N`, until `normal`. */
  priority?: number;
  priorityAt?: number;
}

export type ClusterListener = (e: ClusterEvent) => void;

/**
 * The id a sorry server counts under in shared memory (serverKey(pool, SORRY_ID)). Its NUL keeps it off
 * the slot of a server the config names "sorry_server" (names are not checked for NULs, none has one).
 */
export const SORRY_ID = "\0sorry_server";

export class PoolState {
  readonly name: string;
  servers: ServerState[];
  /** Quorum (sum of live weights) currently met; see core/check for hysteresis. */
  quorumUp = true;
  /** Called after any server's up/weight changed so the scheduler can rebuild what it must. */
  onChange: (() => void) | undefined = undefined;
  /**
   * The pool's sorry_server while one is configured: not scheduled, but its counters are kept here like
   * a server's so status and the shared per-worker counts (SORRY_ID's slot) see it.
   */
  sorry: ServerState | undefined = undefined;

  constructor(name: string, servers: ServerState[]) {
    this.name = name;
    this.servers = servers;
  }

  server(id: string): ServerState | undefined {
    return this.servers.find((s) => s.id === id);
  }
}

/** Everything a running tcpvs knows, plus one event stream for whoever watches. */
export class Cluster {
  readonly pools = new Map<string, PoolState>();
  /** VRRP instances as last reported (the VRRP subsystem writes, control reads). */
  readonly vrrp = new Map<
    string,
    { state: string; priority: number; master?: string; since: number; reason: string }
  >();
  /**
   * What an operator did to each VRRP instance over the control channel, kept apart from the reports so
   * a held backup shows as held (a forgotten `normal` would otherwise keep it backup unseen).
   */
  readonly vrrpOperator = new Map<string, VrrpOperatorState>();
  /** Per virtual server: requests answered and how many were 5xx (for rates in `status --watch`). */
  readonly virtualServers = new Map<string, { requests: number; responses5xx: number }>();
  /** Named counters: rejects by reason, retries, timeouts, VRRP drops ... */
  readonly counters = new Map<string, number>();
  private listeners = new Set<ClusterListener>();

  subscribe(fn: ClusterListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit(e: ClusterEvent): void {
    for (const fn of this.listeners) {
      try {
        fn(e);
      } catch {
        // A broken watcher must not break the writer.
      }
    }
  }

  count(name: string, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  /** `n` responses with `status` answered by virtual server `vs`. */
  countResponses(vs: string, status: number, n = 1): void {
    let t = this.virtualServers.get(vs);
    if (!t) {
      t = { requests: 0, responses5xx: 0 };
      this.virtualServers.set(vs, t);
    }
    t.requests += n;
    if (status >= 500 && status < 600) t.responses5xx += n;
  }

  /** Apply a change to a server, recompute, tell the scheduler and the watchers. */
  updateServer(
    pool: string,
    id: string,
    change: (s: ServerState) => void,
    reason: string,
    now = Date.now(),
  ): boolean {
    const p = this.pools.get(pool);
    const s = p?.server(id);
    if (!p || !s) return false;
    const wasUp = s.up;
    change(s);
    if (s.recompute()) {
      if (wasUp !== s.up) s.since = now;
      p.onChange?.();
      this.emit({ type: "server", pool, server: id, up: s.up, weight: s.weight, reason, at: now });
    }
    return true;
  }
}
