// Health checks as a service: the monitor restarts its watches from the new pools on reload (it keeps
// each server's counters where the server stays).

import { HealthMonitor } from "../check/health-monitor.ts";
import type { PoolConfig } from "../config/types.ts";
import type { Cluster } from "../state/cluster.ts";
import type { LoadedConfig, Service } from "./service.ts";

export class MonitorService implements Service {
  readonly name = "monitor";
  readonly monitor = new HealthMonitor();
  private readonly cluster: Cluster;
  private readonly pools: Record<string, PoolConfig>;

  constructor(cluster: Cluster, pools: Record<string, PoolConfig>) {
    this.cluster = cluster;
    this.pools = pools;
  }

  async start(): Promise<void> {
    this.monitor.start(this.cluster, this.pools);
  }

  async reload(next: LoadedConfig): Promise<void> {
    this.monitor.start(this.cluster, next.config.pool);
  }

  /** The checks stop; pools with omega run their down notifiers first (HealthMonitor.shutdown). */
  async stop(): Promise<void> {
    this.monitor.shutdown();
  }

  /** The servers' check results are in the switch's dump. */
  dump(): void {}
}
