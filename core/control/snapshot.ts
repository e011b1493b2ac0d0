// What `status` returns: a plain JSON picture of everything the daemon knows, built from the cluster
// and the daemon's own description so this module does not depend on how serve wires things.

import type { CheckResult, Cluster } from "../state/cluster.ts";

export interface ListenerInfo {
  virtual_server: string;
  listen: string[];
  mode: string;
  pool: string;
  /** A TLS listener's certificates, the first the default. */
  tls?: Array<{ file: string; names: string[]; not_after: string; days_left: number }>;
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
  /** Data-path workers ([global] workers): each one's client connections now and requests sent. */
  workers?: WorkerInfo[];
}

export interface WorkerInfo {
  id: number;
  connections: number;
  requests: number;
}

export interface ServerSnapshot {
  id: string;
  address: string;
  up: boolean;
  healthy: boolean;
  drained: boolean;
  disabled: boolean;
  inhibited: boolean;
  backup: boolean;
  config_weight: number;
  dynamic_weight: number | null;
  weight: number;
  active: number;
  total_connections: number;
  requests: number;
  errors: number;
  last_check: CheckResult | null;
  since: number;
}

export interface PoolSnapshot {
  name: string;
  quorum_up: boolean;
  servers: ServerSnapshot[];
}

export interface VrrpSnapshot {
  instance: string;
  state: string;
  priority: number;
  master: string | null;
  since: number;
  reason: string;
}

export interface StatusSnapshot {
  protocol: number;
  version: string;
  role: string | null;
  started_at: number;
  uptime_seconds: number;
  now: number;
  config: { file: string; hash: string };
  listeners: ListenerInfo[];
  pools: PoolSnapshot[];
  vrrp: VrrpSnapshot[];
  counters: Record<string, number>;
  workers: WorkerInfo[];
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
      servers: p.servers.map((s) => ({
        id: s.id,
        address: s.address,
        up: s.up,
        healthy: s.healthy,
        drained: s.drained,
        disabled: s.disabled,
        inhibited: s.inhibited,
        backup: s.backup,
        config_weight: s.configWeight,
        dynamic_weight: s.dynamicWeight ?? null,
        weight: s.weight,
        active: s.active,
        total_connections: s.totalConnections,
        requests: s.requests,
        errors: s.errors,
        last_check: s.lastCheck ?? null,
        since: s.since,
      })),
    });
  }
  const vrrp: VrrpSnapshot[] = [];
  for (const [instance, v] of cluster.vrrp) {
    vrrp.push({
      instance,
      state: v.state,
      priority: v.priority,
      master: v.master ?? null,
      since: v.since,
      reason: v.reason,
    });
  }
  return {
    protocol,
    version: d.version,
    role: d.role ?? null,
    started_at: d.startedAt,
    uptime_seconds: Math.max(0, Math.round((now - d.startedAt) / 1000)),
    now,
    config: { file: d.configFile, hash: d.configHash },
    listeners: d.listeners,
    pools,
    vrrp,
    counters: Object.fromEntries(cluster.counters),
    workers: d.workers ?? [],
  };
}
