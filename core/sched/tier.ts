// Which servers a scheduler may use right now. Backups serve only while every primary is down, so a
// scheduler works over one "tier": the primaries while any primary is up, else the backups.

import type { SchedServer } from "./types.ts";

/** May take a new connection or request: up, not quiescent, below its connection limit. */
export function available(s: SchedServer): boolean {
  return s.up && s.weight > 0 && (s.maxConnections <= 0 || s.active < s.maxConnections);
}

/** Up and below its connection limit, whatever its weight (persisted clients may use a quiescent one). */
export function reachable(s: SchedServer): boolean {
  return s.up && (s.maxConnections <= 0 || s.active < s.maxConnections);
}

export class Tier {
  /** The servers of the serving tier, in pool order (up or not). Same array while membership holds. */
  list: SchedServer[] = [];
  /** Whether the serving tier is the backups. */
  backups = false;
  private readonly servers: readonly SchedServer[];

  constructor(servers: readonly SchedServer[]) {
    this.servers = servers;
    this.refresh();
  }

  /** Recompute the tier; returns true when its membership or order changed. */
  refresh(): boolean {
    let primaryUp = false;
    for (const s of this.servers) {
      if (!s.backup && s.up) {
        primaryUp = true;
        break;
      }
    }
    const backups = !primaryUp;
    const next: SchedServer[] = [];
    for (const s of this.servers) if (s.backup === backups) next.push(s);
    this.backups = backups;
    if (next.length === this.list.length && next.every((s, i) => s === this.list[i])) return false;
    this.list = next;
    return true;
  }

  /** Whether `s` belongs to the serving tier (O(1) by flag; membership of the pool is the caller's). */
  serves(s: SchedServer): boolean {
    return s.backup === this.backups;
  }
}
