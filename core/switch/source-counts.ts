// Open client connections per address, for max_connections_per_source: an entry exists only while
// its address has a connection open, so the map is bounded by max_connections. One process's (or one
// worker's) counts; shared-source-counts.ts keeps them for every worker at once.

export interface SourceCounter {
  /** Count a connection from `ip`, unless `max` (> 0) are open already: false then. */
  enter(ip: string, max: number): boolean;
  leave(ip: string): void;
  /** Addresses with a connection open. */
  readonly size: number;
}

export class SourceCounts implements SourceCounter {
  private readonly n = new Map<string, number>();

  enter(ip: string, max: number): boolean {
    const now = this.n.get(ip) ?? 0;
    if (max > 0 && now >= max) return false;
    this.n.set(ip, now + 1);
    return true;
  }

  leave(ip: string): void {
    const now = this.n.get(ip);
    if (now === undefined) return;
    if (now <= 1) this.n.delete(ip);
    else this.n.set(ip, now - 1);
  }

  get size(): number {
    return this.n.size;
  }
}
