// What `status` returns: a plain JSON picture of everything the daemon knows, built from the cluster
// and the daemon's own description so this module does not depend on how serve wires things.
// The JSON contract (docs/json.md, docs/schema/status.schema.json): snake_case keys, the unit in the
// key's name (`_ms`, `_seconds`, `_at_ms` for epoch milliseconds), states in lowercase, servers and
// instances named by `name` as in the config.

import type { VrrpConfig } from "../config/types.ts";
import type { CheckResult, Cluster, ServerState } from "../state/cluster.ts";

export interface ListenerInfo {
  virtual_server: string;
  listen: string[];
  mode: string;
  pool: string;
  /** A TLS listener's certificates, the first the default. */
  tls?: TlsCertificateInfo[];
}

export interface TlsCertificateInfo {
  file: string;
  names: string[];
  /** ISO 8601 date-time the certificate expires. */
  not_after: string;
  days_left: number;
}

/** What the daemon tells about itself; supplied by serve/vrrp through a callback. */
export interface DaemonDescription {
  version: string;
  /** Epoch ms the process started. */
  startedAt: number;
  configFile: string;
  /** sha256 hex of the config file as loaded. */
  configHash: string;
  /** "serve" | "vrrp" | ... */
  role?: string;
  listeners: ListenerInfo[];
  /** The VRRP instances as configured (vrid, interface, VIPs). */
  vrrp?: Record<string, VrrpConfig>;
  /** Settings changed in the file that apply only at restart ("control", "vrrp.VI_1"). */
  pendingRestart?: string[];
  /** Data-path workers ([global] workers): each one's client connections now, requests sent, queued. */
  workers?: WorkerInfo[];
}

export interface WorkerInfo {
  id: number;
  connections: number;
  requests: number;
  /** Requests it queued for a server slot (queue_timeout), ever. */
  queued: number;
}

export type ServerStateName = "up" | "down" | "drained" | "disabled" | "inhibited";

export interface CheckSnapshot {
  ok: boolean;
  reason: string;
  latency_ms: number;
  at_ms: number;
}

export interface ServerSnapshot {
  name: string;
  address: string;
  /** The one word `--is` tests: disabled, down, drained, inhibited or up. */
  state: ServerStateName;
  up: boolean;
  healthy: boolean;
  drained: boolean;
  /** Epoch ms the drain began, null when not drained. */
  drained_at_ms: number | null;
  disabled: boolean;
  disabled_at_ms: number | null;
  inhibited: boolean;
  backup: boolean;
  config_weight: number;
  dynamic_weight: number | null;
  /** Who set the weight in force. */
  weight_source: "config" | "operator" | "check";
  weight_set_at_ms: number | null;
  weight: number;
  active_connections: number;
  connections_total: number;
  requests_total: number;
  errors_total: number;
  /** Responses with a 5xx status the server sent. */
  responses_5xx_total: number;
  last_check: CheckSnapshot | null;
  /** Epoch ms of the last up/down change. */
  changed_at_ms: number;
}

/** The pool's sorry_server: what it answered while quorum was lost (summed over workers). */
export interface SorrySnapshot {
  address: string;
  active_connections: number;
  connections_total: number;
  requests_total: number;
  errors_total: number;
  responses_5xx_total: number;
}

export interface PoolSnapshot {
  name: string;
  quorum_up: boolean;
  servers: ServerSnapshot[];
  /** null when the pool has no sorry_server. */
  sorry_server: SorrySnapshot | null;
}

export interface VirtualServerSnapshot {
  name: string;
  listen: string[];
  mode: string;
  pool: string;
  active_connections: number;
  requests_total: number;
  responses_5xx_total: number;
  /** The listener's certificates when it terminates TLS, null otherwise. */
  tls: TlsCertificateInfo[] | null;
}

export interface VrrpSnapshot {
  name: string;
  state: "init" | "backup" | "master" | "fault" | "stop";
  priority: number;
  config_priority: number | null;
  vrid: number | null;
  interface: string | null;
  vips: string[];
  master: string | null;
  changed_at_ms: number;
  reason: string;
  /** Held in backup by an operator (`status vrrp NAME backup`) until `normal`. */
  held: boolean;
  held_at_ms: number | null;
  /** Priority set by an operator (`status vrrp NAME priority N`), null when none. */
  operator_priority: number | null;
}

export interface StatusSnapshot {
  protocol: number;
  version: string;
  role: string | null;
  started_at_ms: number;
  uptime_seconds: number;
  generated_at_ms: number;
  config: { file: string; sha256: string };
  /** Changes read by a reload that wait for a restart; empty when everything in the file applies. */
  pending_restart: string[];
  virtual_servers: VirtualServerSnapshot[];
  pools: PoolSnapshot[];
  vrrp: VrrpSnapshot[];
  counters: Record<string, number>;
  workers: WorkerInfo[];
}

export function serverState(s: {
  disabled: boolean;
  healthy: boolean;
  drained: boolean;
  inhibited: boolean;
}): ServerStateName {
  if (s.disabled) return "disabled";
  if (!s.healthy) return "down";
  if (s.drained) return "drained";
  if (s.inhibited) return "inhibited";
  return "up";
}

export function checkSnapshot(c: CheckResult | undefined): CheckSnapshot | null {
  return c ? { ok: c.ok, reason: c.reason, latency_ms: round3(c.latencyMs), at_ms: c.at } : null;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function sorrySnapshot(s: ServerState | undefined): SorrySnapshot | null {
  if (!s) return null;
  return {
    address: s.address,
    active_connections: s.active,
    connections_total: s.totalConnections,
    requests_total: s.requests,
    errors_total: s.errors,
    responses_5xx_total: s.responses5xx,
  };
}

export function serverSnapshot(s: ServerState): ServerSnapshot {
  return {
    name: s.id,
    address: s.address,
    state: serverState(s),
    up: s.up,
    healthy: s.healthy,
    drained: s.drained,
    drained_at_ms: s.drained ? (s.drainedAt ?? null) : null,
    disabled: s.disabled,
    disabled_at_ms: s.disabled ? (s.disabledAt ?? null) : null,
    inhibited: s.inhibited,
    backup: s.backup,
    config_weight: s.configWeight,
    dynamic_weight: s.dynamicWeight ?? null,
    weight_source: s.dynamicWeight === undefined ? "config" : s.weightSource,
    weight_set_at_ms: s.weightSource === "operator" ? (s.weightSetAt ?? null) : null,
    weight: s.weight,
    active_connections: s.active,
    connections_total: s.totalConnections,
    requests_total: s.requests,
    errors_total: s.errors,
    responses_5xx_total: s.responses5xx,
    last_check: checkSnapshot(s.lastCheck),
    changed_at_ms: s.since,
  };
}

const VRRP_STATES = new Set(["init", "backup", "master", "fault", "stop"]);

function vrrpState(s: string): VrrpSnapshot["state"] {
  const l = s.toLowerCase();
  return (VRRP_STATES.has(l) ? l : "init") as VrrpSnapshot["state"];
}

export function buildSnapshot(
  cluster: Cluster,
  d: DaemonDescription,
  protocol: number,
  now: number,
): StatusSnapshot {
  const pools: PoolSnapshot[] = [];
  for (const p of cluster.pools.values()) {
    pools.push({
      name: p.name,
      quorum_up: p.quorumUp,
      servers: p.servers.map(serverSnapshot),
      sorry_server: sorrySnapshot(p.sorry),
    });
  }
  const virtual_servers = d.listeners.map((l): VirtualServerSnapshot => {
    const t = cluster.virtualServers.get(l.virtual_server);
    const pool = cluster.pools.get(l.pool);
    return {
      name: l.virtual_server,
      listen: l.listen,
      mode: l.mode,
      pool: l.pool,
      active_connections: pool ? pool.servers.reduce((n, s) => n + s.active, pool.sorry?.active ?? 0) : 0,
      requests_total: t?.requests ?? 0,
      responses_5xx_total: t?.responses5xx ?? 0,
      tls: l.tls ?? null,
    };
  });
  const vrrp: VrrpSnapshot[] = [];
  for (const [name, v] of cluster.vrrp) {
    const cfg = d.vrrp?.[name];
    const op = cluster.vrrpOperator.get(name);
    vrrp.push({
      name,
      state: vrrpState(v.state),
      priority: v.priority,
      config_priority: cfg?.priority ?? null,
      vrid: cfg?.virtual_router_id ?? null,
      interface: cfg?.interface ?? null,
      vips: cfg?.virtual_ipaddress.map((a) => `${a.address}/${a.prefix}`) ?? [],
      master: v.master ?? null,
      changed_at_ms: v.since,
      reason: v.reason,
      held: op?.held ?? false,
      held_at_ms: op?.held ? (op.heldAt ?? null) : null,
      operator_priority: op?.priority ?? null,
    });
  }
  return {
    protocol,
    version: d.version,
    role: d.role ?? null,
    started_at_ms: d.startedAt,
    uptime_seconds: Math.max(0, Math.round((now - d.startedAt) / 1000)),
    generated_at_ms: now,
    config: { file: d.configFile, sha256: d.configHash },
    pending_restart: d.pendingRestart ?? [],
    virtual_servers,
    pools,
    vrrp,
    counters: Object.fromEntries(cluster.counters),
    workers: d.workers ?? [],
  };
}
