// Runs every configured VRRP instance and keeps sync groups together: a member going MASTER pulls the
// others to MASTER, a member stepping down pulls them to BACKUP, a member in FAULT holds them in FAULT.

import type { VrrpConfig } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import { channelDrops } from "./channel.ts";
import type { VrrpState } from "./fsm.ts";
import { type InstanceDeps, VrrpInstance, type VrrpStateReport } from "./instance.ts";
import { NotifyQueue } from "./notify.ts";
import type { DropReason } from "./packet.ts";

export interface ManagerDeps {
  log: Logger;
  onState?: (r: VrrpStateReport) => void;
  onDrop?: (instance: string, reason: DropReason) => void;
  now?: () => number;
}

export class VrrpManager {
  readonly instances = new Map<string, VrrpInstance>();
  private readonly groups = new Map<string, VrrpInstance[]>();
  private syncing = false;

  constructor(configs: Record<string, VrrpConfig> | VrrpConfig[], deps: ManagerDeps) {
    const notify = new NotifyQueue(deps.log.child({ subsystem: "vrrp" }));
    const instDeps: InstanceDeps = { ...deps, log: deps.log.child({ subsystem: "vrrp" }), notify };
    const list = Array.isArray(configs) ? configs : Object.values(configs);
    const seen = new Set<string>();
    for (const c of list) {
      const key = `${c.interface}/${c.virtual_router_id}`;
      if (seen.has(key))
        throw new Error(
          `Use distinct virtual_router_id values on "${c.interface}": ${c.virtual_router_id} is taken twice`,
        );
      seen.add(key);
      const inst = new VrrpInstance(c, instDeps);
      this.instances.set(c.name, inst);
      if (c.sync_group) {
        const g = this.groups.get(c.sync_group) ?? [];
        g.push(inst);
        this.groups.set(c.sync_group, g);
        inst.onTransition = (i, from, to) => this.sync(c.sync_group!, i, from, to);
      }
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

  async stop(): Promise<void> {
    await Promise.all([...this.instances.values()].map((i) => i.stop()));
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
