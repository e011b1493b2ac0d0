// What `serve` (VRRP in a Worker) and `vrrp` (VRRP on the main thread) share for the control channel:
// state reports recorded into the cluster model the status snapshot reads, and operator actions turned
// into hold / priority adjustments on whichever runs the instances.

import type { VrrpConfig } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import type { Cluster } from "../state/cluster.ts";
import type { VrrpStateReport } from "../vrrp/instance.ts";

/** VrrpHost (worker) and VrrpManager (main thread) both steer instances this way. */
export interface VrrpSteering {
  hold(instance: string, on: boolean): unknown;
  adjustPriority(instance: string, delta: number): unknown;
}

/** Also counts transitions by target state ("vrrp.VI_1.to_master"): flapping shows in status and metrics. */
export function recordVrrpState(cluster: Cluster, r: VrrpStateReport): void {
  // A report may only tell a new priority in the same state: that is no transition.
  const prev = cluster.vrrp.get(r.instance);
  const transition = prev?.state !== r.state;
  if (transition) cluster.count(`vrrp.${r.instance}.to_${r.state.toLowerCase()}`);
  cluster.vrrp.set(r.instance, {
    state: r.state,
    priority: r.priority,
    master: r.master,
    since: transition || !prev ? r.at : prev.since,
    reason: r.reason,
  });
  cluster.emit({
    type: "vrrp",
    instance: r.instance,
    state: r.state,
    priority: r.priority,
    reason: r.reason,
    at: r.at,
  });
}

/** backup: hold in BACKUP; normal: release and drop any operator priority; priority N: absolute. */
export function steerVrrp(
  target: VrrpSteering | undefined,
  instances: Record<string, VrrpConfig>,
  instance: string,
  action: "backup" | "normal" | "priority",
  priority?: number,
): { ok: boolean; message?: string } {
  const cfg = instances[instance];
  if (!target || !cfg) return { ok: false, message: `no VRRP instance "${instance}"` };
  if (action === "backup") {
    target.hold(instance, true);
    return { ok: true, message: `${instance} held in BACKUP` };
  }
  if (action === "normal") {
    target.hold(instance, false);
    target.adjustPriority(instance, 0);
    return { ok: true, message: `${instance} back to normal` };
  }
  if (priority === undefined || !Number.isInteger(priority) || priority < 1 || priority > 254) {
    return { ok: false, message: "priority must be 1-254" };
  }
  if (cfg.priority === 255) {
    return { ok: false, message: `${instance} owns its addresses (priority 255): use backup instead` };
  }
  target.adjustPriority(instance, priority - cfg.priority);
  return { ok: true, message: `${instance} priority ${priority}` };
}

/** SIGUSR1: each instance's state as last reported. */
export function dumpVrrpStates(log: Logger, cluster: Cluster): void {
  for (const [name, v] of cluster.vrrp)
    log.info("state vrrp", {
      instance: name,
      state: v.state,
      priority: v.priority,
      master: v.master,
      since: new Date(v.since),
      reason: v.reason,
    });
}
