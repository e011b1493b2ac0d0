// VRRP inside `serve`: the instances run in their own Worker (so a saturated data path cannot delay
// adverts or the master-down timer); this bridge carries pool quorum to it, state reports and drop
// counts back into the cluster model, and operator actions from the control channel.

import type { TcpvsConfig, VrrpConfig } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import type { Cluster } from "../state/cluster.ts";
import { VrrpHost } from "../vrrp/host.ts";

export class VrrpBridge {
  private host: VrrpHost | undefined;
  private instances: Record<string, VrrpConfig> = {};
  private unsubscribe: (() => void) | undefined;
  private readonly cluster: Cluster;
  private readonly log: Logger;

  constructor(cluster: Cluster, log: Logger) {
    this.cluster = cluster;
    this.log = log.child({ subsystem: "vrrp" });
  }

  async start(config: TcpvsConfig): Promise<void> {
    this.instances = config.vrrp;
    if (Object.keys(config.vrrp).length === 0) return;
    this.host = await VrrpHost.start(config.vrrp, {
      log: this.log,
      onState: (r) => {
        this.cluster.vrrp.set(r.instance, {
          state: r.state,
          priority: r.priority,
          master: r.master,
          since: r.at,
          reason: r.reason,
        });
        this.cluster.emit({
          type: "vrrp",
          instance: r.instance,
          state: r.state,
          priority: r.priority,
          reason: r.reason,
          at: r.at,
        });
      },
      onDrop: (_instance, reason) => this.cluster.count(`vrrp.drop.${reason}`),
    });
    // Tell the worker every tracked pool's quorum now and whenever it changes.
    for (const [name, pool] of this.cluster.pools) this.host.setPoolQuorum(name, pool.quorumUp);
    this.unsubscribe = this.cluster.subscribe((e) => {
      if (e.type === "pool") this.host?.setPoolQuorum(e.pool, e.quorum);
    });
  }

  /** VRRP settings are not changed by a reload: restarting would resign mastership and move the VIP. */
  async reload(config: TcpvsConfig): Promise<void> {
    if (JSON.stringify(config.vrrp) !== JSON.stringify(this.instances)) {
      this.log.warn("VRRP settings changed in the file; restart tcpvs (backup node first) to apply them");
    }
  }

  async action(
    instance: string,
    action: "backup" | "normal" | "priority",
    priority?: number,
  ): Promise<{ ok: boolean; message?: string }> {
    const cfg = this.instances[instance];
    if (!this.host || !cfg) return { ok: false, message: `no VRRP instance "${instance}"` };
    if (action === "backup") {
      this.host.hold(instance, true);
      return { ok: true, message: `${instance} held in BACKUP` };
    }
    if (action === "normal") {
      this.host.hold(instance, false);
      this.host.adjustPriority(instance, 0);
      return { ok: true, message: `${instance} back to normal` };
    }
    if (priority === undefined || !Number.isInteger(priority) || priority < 1 || priority > 254) {
      return { ok: false, message: "priority must be 1-254" };
    }
    this.host.adjustPriority(instance, priority - cfg.priority);
    return { ok: true, message: `${instance} priority ${priority}` };
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    if (!this.host) return;
    const drops = await this.host.stop();
    this.log.info("vrrp stopped", { drops });
    this.host = undefined;
  }
}
