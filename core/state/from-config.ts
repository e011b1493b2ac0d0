// Build the cluster model from a config, and carry it over a reload: a server that is still configured
// keeps its health, counters and operator actions (drain, disable); only what the new file changed
// changes.

import type { PoolConfig, TcpvsConfig } from "../config/types.ts";
import { Cluster, PoolState, ServerState } from "./cluster.ts";

function newServer(pool: PoolConfig, i: number, now: number): ServerState {
  const s = pool.server[i]!;
  // A pool whose checks start with alpha begins down until a check proves the server up.
  const alpha = pool.check.some((c) => c.alpha);
  return new ServerState(pool.name, s.name, s.address.text, s.weight, {
    backup: s.backup,
    maxConnections: s.max_connections,
    healthy: !alpha,
    now,
  });
}

function newPool(pool: PoolConfig, now: number): PoolState {
  const p = new PoolState(
    pool.name,
    pool.server.map((_, i) => newServer(pool, i, now)),
  );
  p.sorry = sorryServer(pool, undefined, now);
  return p;
}

/** The pool's sorry server: the one it had while the address is the same (its counters go on). */
function sorryServer(pool: PoolConfig, old: ServerState | undefined, now: number): ServerState | undefined {
  const ep = pool.sorry_server;
  if (!ep) return undefined;
  if (old?.address === ep.text) return old;
  return new ServerState(pool.name, "sorry_server", ep.text, 1, { now });
}

export function clusterFromConfig(config: TcpvsConfig, now = Date.now()): Cluster {
  const cluster = new Cluster();
  for (const pool of Object.values(config.pool)) cluster.pools.set(pool.name, newPool(pool, now));
  return cluster;
}

/**
 * Make `cluster` match `config`. Returns the names of pools whose server set changed (their
 * schedulers must be rebuilt); pools that disappeared are removed.
 */
export function reconcileCluster(cluster: Cluster, config: TcpvsConfig, now = Date.now()): Set<string> {
  const changed = new Set<string>();
  for (const name of [...cluster.pools.keys()]) {
    if (!config.pool[name]) {
      cluster.pools.delete(name);
      changed.add(name);
    }
  }
  for (const pool of Object.values(config.pool)) {
    const existing = cluster.pools.get(pool.name);
    if (!existing) {
      cluster.pools.set(pool.name, newPool(pool, now));
      changed.add(pool.name);
      continue;
    }
    existing.sorry = sorryServer(pool, existing.sorry, now);
    const next = pool.server.map((sc, i) => {
      const old = existing.server(sc.name);
      if (!old || old.address !== sc.address.text) return newServer(pool, i, now);
      old.configWeight = sc.weight;
      old.backup = sc.backup;
      old.maxConnections = sc.max_connections;
      old.recompute();
      return old;
    });
    // Schedulers hold the servers array itself: replace it only when the set really changed.
    const same = next.length === existing.servers.length && next.every((s, i) => s === existing.servers[i]);
    if (!same) {
      existing.servers = next;
      changed.add(pool.name);
    } else existing.onChange?.();
  }
  return changed;
}
