// VRRP inside `serve`: the instances run in their own Worker (so a saturated data path cannot delay
// adverts or the master-down timer); this bridge carries pool quorum to it, state reports and drop
// counts back into the cluster model, and operator actions from the control channel.

import type { TcpvsConfig, VrrpConfig } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import type { Cluster } from "../state/cluster.ts";
import { handoverBoundMs } from "../vrrp/fsm.ts";
import { VrrpHost } from "../vrrp/host.ts";
import type { LoadedConfig, Service } from "./service.ts";
import { dumpVrrpStates, recordVrrpState, steerVrrp } from "./vrrp-control.ts";

export class VrrpBridge implements Service {
  readonly name = "vrrp";
  private host: VrrpHost | undefined;
  private instances: Record<string, VrrpConfig>;
  private scriptUser: string | undefined;
  private graceMs: number;
  /** Stopped with VIPs kept hidden for the switch's drain (settle ends it). */
  private drainingHost: VrrpHost | undefined;
  private unsubscribe: (() => void) | undefined;
  private stopping: Promise<void> | undefined;
  private readonly cluster: Cluster;
  private readonly log: Logger;

  constructor(config: TcpvsConfig, cluster: Cluster, log: Logger) {
    this.instances = config.vrrp;
    this.scriptUser = config.global.script_user;
    this.graceMs = config.global.grace;
    this.cluster = cluster;
    this.log = log.child({ subsystem: "vrrp" });
  }

  async start(): Promise<void> {
    if (Object.keys(this.instances).length === 0) return;
    this.host = await VrrpHost.start(this.instances, {
      log: this.log,
      onState: (r) => recordVrrpState(this.cluster, r),
      onDrop: (_instance, reason) => this.cluster.count(`vrrp.drop.${reason}`),
      scriptUser: this.scriptUser,
      graceMs: this.graceMs,
    });
    // Tell the worker every tracked pool's quorum now and whenever it changes.
    for (const [name, pool] of this.cluster.pools) this.host.setPoolQuorum(name, pool.quorumUp);
    this.unsubscribe = this.cluster.subscribe((e) => {
      if (e.type === "pool") this.host?.setPoolQuorum(e.pool, e.quorum);
    });
  }

  /**
   * The worker applies the new instances in place (VrrpManager.reload): mastership is kept; only an
   * instance with a new virtual_router_id, interface or address family restarts, and says so.
   */
  async reload(next: LoadedConfig): Promise<void> {
    const vrrp = next.config.vrrp;
    const scriptUser = next.config.global.script_user;
    const graceMs = next.config.global.grace;
    if (
      JSON.stringify(vrrp) === JSON.stringify(this.instances) &&
      scriptUser === this.scriptUser &&
      graceMs === this.graceMs
    )
      return;
    this.scriptUser = scriptUser;
    this.graceMs = graceMs;
    if (!this.host) {
      this.instances = vrrp;
      return this.start();
    }
    if (Object.keys(vrrp).length === 0) {
      this.log.warn("every VRRP instance was removed from the file: stopping VRRP");
      const host = this.host;
      this.host = undefined;
      this.unsubscribe?.();
      this.instances = vrrp;
      await host.stop(handoverBoundMs(Object.values(this.instances)));
      return;
    }
    // A restarted or removed instance hands over first: wait for the longest of the old ones.
    await this.host.reload(vrrp, handoverBoundMs(Object.values(this.instances)), scriptUser, graceMs);
    this.instances = vrrp;
    for (const [name, pool] of this.cluster.pools) this.host.setPoolQuorum(name, pool.quorumUp);
  }

  async action(
    instance: string,
    action: "backup" | "normal" | "priority",
    priority?: number,
  ): Promise<{ ok: boolean; message?: string }> {
    return steerVrrp(this.host, this.instances, instance, action, priority);
  }

  /**
   * Hand over, then resign: a master advertises priority 0 and keeps its VIPs until the peer's first
   * MASTER advert (RESIGN_INTERVALS intervals at most), then hides them (handover relay; without it
   * removes them) and runs notify_stop. The switch stops after this, so its listeners serve the VIP to
   * the end, and the peer relays this node's connections to it while they drain; settle() removes the
   * hidden VIPs once the drain is over. No grace applies to the handover; a second call waits too.
   */
  stop(graceMs: number): Promise<void> {
    this.stopping ??= this.resign(graceMs);
    return this.stopping;
  }

  private async resign(graceMs: number): Promise<void> {
    this.unsubscribe?.();
    if (!this.host) return;
    const host = this.host;
    this.host = undefined;
    const drain = graceMs > 0;
    const drops = await host.stop(handoverBoundMs(Object.values(this.instances)), { drain });
    this.log.info("vrrp stopped", { drops });
    if (drain) this.drainingHost = host;
  }

  async settle(): Promise<void> {
    const host = this.drainingHost;
    this.drainingHost = undefined;
    await host?.release();
  }

  dump(): void {
    dumpVrrpStates(this.log, this.cluster);
  }
}
