// VRRP on the main thread, for `tcpvs vrrp`: nothing else shares the event loop there, so the
// instances run without a Worker. A reload applies in place (VrrpManager.reload), as in `serve`.

import type { VrrpConfig } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import type { Cluster } from "../state/cluster.ts";
import { VrrpManager } from "../vrrp/manager.ts";
import type { LoadedConfig, Service } from "./service.ts";
import { dumpVrrpStates, recordVrrpState, steerVrrp } from "./vrrp-control.ts";

export class VrrpService implements Service {
  readonly name = "vrrp";
  private mgr: VrrpManager | undefined;
  private stopping: Promise<void> | undefined;
  private instances: Record<string, VrrpConfig>;
  private readonly cluster: Cluster;
  private readonly log: Logger;

  constructor(instances: Record<string, VrrpConfig>, cluster: Cluster, log: Logger) {
    this.instances = instances;
    this.cluster = cluster;
    this.log = log;
  }

  async start(): Promise<void> {
    this.mgr = new VrrpManager(this.instances, {
      log: this.log,
      onState: (r) => recordVrrpState(this.cluster, r),
      onDrop: (_instance, reason) => this.cluster.count(`vrrp.drop.${reason}`),
    });
    this.mgr.start();
  }

  /** Each instance updated in place (mastership kept); only a new VRID, interface or family restarts one. */
  async reload(next: LoadedConfig): Promise<void> {
    const vrrp = next.config.vrrp;
    if (Object.keys(vrrp).length === 0)
      throw new Error(
        `Keep a [vrrp.NAME] section in "${next.config.file}": tcpvs vrrp runs VRRP instances only`,
      );
    await this.mgr?.reload(vrrp);
    this.instances = vrrp;
  }

  /** Hold an instance in BACKUP, release it, or set its priority (control channel actions). */
  async action(
    instance: string,
    action: "backup" | "normal" | "priority",
    priority?: number,
  ): Promise<{ ok: boolean; message?: string }> {
    return steerVrrp(this.mgr, this.instances, instance, action, priority);
  }

  /** Resign: priority 0 sent, VIPs removed, notify_stop run. The drop counters are logged first. */
  stop(): Promise<void> {
    const mgr = this.mgr;
    if (!mgr) return Promise.resolve();
    this.stopping ??= (async () => {
      this.log.info("vrrp stopping", { drops: mgr.drops() });
      await mgr.stop();
    })();
    return this.stopping;
  }

  dump(): void {
    dumpVrrpStates(this.log, this.cluster);
    if (this.mgr) this.log.info("state drops", { drops: this.mgr.drops() });
  }
}
