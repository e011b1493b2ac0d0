// Runs every configured VRRP instance and keeps sync groups together: a member going MASTER pulls the
// others to MASTER, a member stepping down pulls them to BACKUP, a member in FAULT holds them in FAULT.

import type { VrrpConfig } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import { channelDrops } from "./channel.ts";
import type { VrrpState } from "./fsm.ts";
import { type InstanceDeps, VrrpInstance, type VrrpStateReport } from "./instance.ts";
import { NotifyQueue } from "./notify.ts";
import type { DropReason } from "./packet.ts";
import { vrrpReloadPlan } from "./reload-plan.ts";

export interface ManagerDeps {
  log: Logger;
  onState?: (r: VrrpStateReport) => void;
  onDrop?: (instance: string, reason: DropReason) => void;
  now?: () => number;
  /** [global] grace (InstanceDeps.graceMs). */
  graceMs?: number;
}

export class VrrpManager {
  readonly instances = new Map<string, VrrpInstance>();
  private readonly groups = new Map<string, VrrpInstance[]>();
  private syncing = false;
  private readonly instDeps: InstanceDeps;
  private readonly log: Logger;

  constructor(configs: Record<string, VrrpConfig> | VrrpConfig[], deps: ManagerDeps) {
    this.log = deps.log.child({ subsystem: "vrrp" });
    const notify = new NotifyQueue(this.log);
    this.instDeps = { ...deps, log: this.log, notify };
    const list = Array.isArray(configs) ? configs : Object.values(configs);
    distinctVrids(list);
    for (const c of list) this.instances.set(c.name, new VrrpInstance(c, this.instDeps));
    this.regroup();
  }

  /**
   * A reload, keepalived's way: each running instance is updated in place and keeps its state (and so
   * its mastership); only a new virtual_router_id, interface or address family restarts one (a master
   * hands over first), and the log says so. Instances no longer in the file stop; new ones start.
   */
  async reload(configs: Record<string, VrrpConfig>): Promise<void> {
    const next = Object.values(configs);
    distinctVrids(next);
    for (const [name, inst] of [...this.instances]) {
      if (configs[name]) continue;
      this.log.warn("VRRP instance removed from the file: stopping it", { vrrp: name });
      this.instances.delete(name);
      await inst.stop();
    }
    for (const c of next) {
      const inst = this.instances.get(c.name);
      if (!inst) {
        this.log.info("VRRP instance added by reload: starting it", { vrrp: c.name });
        const fresh = new VrrpInstance(c, this.instDeps);
        fresh.start();
        this.instances.set(c.name, fresh);
        continue;
      }
      const plan = vrrpReloadPlan(inst.cfg, c);
      if (plan.changes.length === 0) continue;
      if (plan.restart) {
        this.log.warn(`restarting VRRP instance ${c.name}: ${plan.restart}`, {
          vrrp: c.name,
          changes: plan.changes,
        });
        // Built first: a config the instance refuses leaves the running one in place.
        const fresh = new VrrpInstance(c, this.instDeps);
        await inst.stop();
        fresh.start();
        this.instances.set(c.name, fresh);
      } else inst.reconfigure(c, plan);
    }
    this.regroup();
    for (const members of this.groups.values()) {
      for (const m of members) m.setSyncFault(members.some((o) => o !== m && o.ownFault));
    }
  }

  private regroup(): void {
    this.groups.clear();
    for (const inst of this.instances.values()) {
      const g = inst.cfg.sync_group;
      inst.onTransition = undefined;
      if (!g) continue;
      this.groups.set(g, [...(this.groups.get(g) ?? []), inst]);
      inst.onTransition = (i, from, to) => {
        if (i.cfg.sync_group) this.sync(i.cfg.sync_group, i, from, to);
      };
    }
  }

  start(): void {
    const started: VrrpInstance[] = [];
    try {
      for (const i of this.instances.values()) {
        i.start();
        started.push(i);
      }
    } catch (e) {
      for (const i of started) void i.stop();
      throw e;
    }
    // Members that started before a sibling faulted did not see it: settle each group once.
    for (const members of this.groups.values()) {
      for (const m of members) m.setSyncFault(members.some((o) => o !== m && o.ownFault));
    }
  }

  /**
   * Every instance stops (masters hand over first). With `drain`, VIPs a peer took over stay hidden
   * (Handover) until release(): the caller's connections on them drain meanwhile.
   */
  async stop(o: { drain?: boolean } = {}): Promise<void> {
    await Promise.all([...this.instances.values()].map((i) => i.stop(o.drain)));
  }

  /** Resolves once no instance keeps VIPs hidden for a drain. */
  async drained(): Promise<void> {
    await Promise.all([...this.instances.values()].map((i) => i.drained()));
  }

  /** The drain after stop({ drain: true }) is over. */
  release(): void {
    for (const i of this.instances.values()) i.release("drain over");
  }

  /** [global] grace, which bounds the handover relay; a reload may change it. */
  setGrace(ms: number): void {
    this.instDeps.graceMs = ms;
  }

  setPoolQuorum(pool: string, ok: boolean): void {
    for (const i of this.instances.values()) i.setPoolQuorum(pool, ok);
  }

  /** Operator: hold an instance in BACKUP (on) or release it. Returns false for an unknown name. */
  hold(name: string, on: boolean): boolean {
    const i = this.instances.get(name);
    i?.hold(on);
    return !!i;
  }

  adjustPriority(name: string, delta: number): boolean {
    const i = this.instances.get(name);
    i?.adjustPriority(delta);
    return !!i;
  }

  drops(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [n, i] of this.instances) out[n] = Object.fromEntries(i.drops);
    return { ...channelDrops(), ...out };
  }

  private sync(group: string, who: VrrpInstance, from: VrrpState, to: VrrpState): void {
    if (this.syncing) return;
    this.syncing = true;
    try {
      const members = this.groups.get(group) ?? [];
      for (const m of members) {
        if (m === who) continue;
        m.setSyncFault(members.some((o) => o !== m && o.ownFault));
        if (to === "MASTER") m.force("MASTER", `sync group ${group}: ${who.name} became MASTER`);
        else if (to === "BACKUP" && from === "MASTER")
          m.force("BACKUP", `sync group ${group}: ${who.name} became BACKUP`);
      }
    } finally {
      this.syncing = false;
    }
  }
}

function distinctVrids(list: VrrpConfig[]): void {
  const seen = new Set<string>();
  for (const c of list) {
    const key = `${c.interface}/${c.virtual_router_id}`;
    if (seen.has(key))
      throw new Error(
        `Use distinct virtual_router_id values on "${c.interface}": ${c.virtual_router_id} is taken twice`,
      );
    seen.add(key);
  }
}
