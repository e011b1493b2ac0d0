// VRRP inside `serve`: the instances run in their own Worker (so a saturated data path cannot delay
// adverts or the master-down timer); this bridge carries pool quorum to it, state reports and drop
// counts back into the cluster model, and operator actions from the control channel.

import type { TcpvsConfig, VrrpConfig } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import type { Cluster } from "../state/cluster.ts";
import { VrrpHost } from "../vrrp/host.ts";
import type { LoadedConfig, Service } from "./service.ts";
import { dumpVrrpStates, recordVrrpState, steerVrrp } from "./vrrpControl.ts";

export class VrrpBridge implements Service {
  readonly name = "vrrp";
  private host: VrrpHost | undefined;
  private readonly instances: Record<string, VrrpConfig>;
  private unsubscribe: (() => void) | undefined;
  private stopping: Promise<void> | undefined;
  private readonly cluster: Cluster;
  private readonly log: Logger;

  constructor(config: TcpvsConfig, cluster: Cluster, log: Logger) {
    this.instances = config.vrrp;
    this.cluster = cluster;
    this.log = log.child({ subsystem: "vrrp" });
  }

  async start(): Promise<void> {
    if (Object.keys(this.instances).length === 0) return;
    this.host = await VrrpHost.start(this.instances, {
      log: this.log,
      onState: (r) => recordVrrpState(this.cluster, r),
      onDrop: (_instance, reason) => this.cluster.count(`vrrp.drop.${reason}`),
    });
    // Tell the worker every tracked pool's quorum now and whenever it changes.
    for (const [name, pool] of this.cluster.pools) this.host.setPoolQuorum(name, pool.quorumUp);
    this.unsubscribe = this.cluster.subscribe((e) => {
      if (e.type === "pool") this.host?.setPoolQuorum(e.pool, e.quorum);
    });
  }

  /** VRRP settings are not changed by a reload: restarting would resign mastership and move the VIP. */
  async reload(next: LoadedConfig): Promise<void> {
    if (JSON.stringify(next.config.vrrp) !== JSON.stringify(this.instances)) {
      this.log.warn("VRRP settings changed in the file; restart tcpvs (backup node first) to apply them");
    }
  }

  async action(
    instance: string,
    action: "backup" | "normal" | "priority",
    priority?: number,
  ): Promise<{ ok: boolean; message?: string }> {
    return steerVrrp(this.host, this.instances, instance, action, priority);
  }

  /** Resign (priority 0, VIPs removed, notify_stop run): no grace applies, and a second call waits too. */
  stop(): Promise<void> {
    this.stopping ??= this.resign();
    return this.stopping;
  }

  private async resign(): Promise<void> {
    this.unsubscribe?.();
    if (!this.host) return;
    const drops = await this.host.stop();
    this.log.info("vrrp stopped", { drops });
    this.host = undefined;
  }

  dump(): void {
    dumpVrrpStates(this.log, this.cluster);
  }
}
