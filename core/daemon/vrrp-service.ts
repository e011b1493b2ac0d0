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
  /** [global] grace: bounds the handover relay and the hidden VIPs' drain. */
  private graceMs: number;
  private readonly cluster: Cluster;
  private readonly log: Logger;

  constructor(instances: Record<string, VrrpConfig>, cluster: Cluster, log: Logger, graceMs = 10_000) {
    this.instances = instances;
    this.graceMs = graceMs;
    this.cluster = cluster;
    this.log = log;
  }

  async start(): Promise<void> {
    this.mgr = new VrrpManager(this.instances, {
      log: this.log,
      onState: (r) => recordVrrpState(this.cluster, r),
      onDrop: (_instance, reason) => this.cluster.count(`vrrp.drop.${reason}`),
      graceMs: this.graceMs,
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
    this.graceMs = next.config.global.grace;
    this.mgr?.setGrace(this.graceMs);
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

  /**
   * Resign: priority 0 sent, notify_stop run, VIPs removed, or, when the peer took over with the
   * handover relay, kept hidden until the instances' own drain bound (grace) for the connections of
   * the service behind them; a second call (stop(0), the operator's second Ctrl-C) removes them now.
   * The drop counters are logged first.
   */
  stop(graceMs: number): Promise<void> {
    const mgr = this.mgr;
    if (!mgr) return Promise.resolve();
    if (this.stopping) {
      if (graceMs === 0) mgr.release();
      return this.stopping;
    }
    this.stopping = (async () => {
      this.log.info("vrrp stopping", { drops: mgr.drops() });
      await mgr.stop({ drain: graceMs > 0 });
      await mgr.drained();
    })();
    return this.stopping;
  }

  dump(): void {
    dumpVrrpStates(this.log, this.cluster);
    if (this.mgr) this.log.info("state drops", { drops: this.mgr.drops() });
  }
}
