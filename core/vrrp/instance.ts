// One VRRP instance: wires the pure state machine to its end of the wire (endpoint.ts: sockets,
// source address, adverts sent), the checks on adverts received (advert-check.ts), the VIPs (netlink),
// gratuitous ARP, tracking, notify scripts and the state reports (state-reporter.ts). Every action the
// FSM asks for is carried out here; the instance decides when, the parts know how.

import type { VrrpConfig } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import type { Received } from "./socket4.ts";
import { AdvertCheck } from "./advert-check.ts";
import { Handover } from "./handover.ts";
import { VrrpEndpoint } from "./endpoint.ts";
import { type FsmAction, RESIGN_INTERVALS, type VrrpState, VrrpFsm } from "./fsm.ts";
import { NotifyQueue } from "./notify.ts";
import type { DropReason } from "./packet.ts";
import { effectivePriority } from "./track.ts";
import { TrackedItems } from "./tracked-items.ts";
import { validateVrrpConfig } from "./validate.ts";
import { StateReporter, type VrrpStateReport } from "./state-reporter.ts";
import type { VrrpReloadPlan } from "./reload-plan.ts";
import { VipSet } from "./vip.ts";

// Importers of the instance have always found the report type here.
export type { VrrpStateReport } from "./state-reporter.ts";

const LINK_POLL_MS = 200;

export interface InstanceDeps {
  log: Logger;
  onState?: (r: VrrpStateReport) => void;
  onDrop?: (instance: string, reason: DropReason) => void;
  notify?: NotifyQueue;
  /** Monotonic ms. */
  now?: () => number;
  /** [global] grace: how long an old master's connections drain (bounds the handover relay). */
  graceMs?: number;
}

/** [global] grace's default, for callers that run instances without a daemon. */
const DEFAULT_GRACE_MS = 10_000;

export class VrrpInstance {
  readonly name: string;
  /** The settings in force: a reload in place replaces them (reconfigure). */
  cfg: VrrpConfig;
  readonly fsm: VrrpFsm;
  /** Dropped adverts per reason (the manager reports them); counted by `check`. */
  readonly drops: Map<DropReason, number>;
  /** Sync-group hook: called after each transition has been carried out. */
  onTransition: ((inst: VrrpInstance, from: VrrpState, to: VrrpState) => void) | undefined;
  /** FAULT because a member of our sync group is in FAULT. */
  private syncFault = false;
  ownFault = false;
  private readonly log: Logger;
  private readonly deps: InstanceDeps;
  private readonly notify: NotifyQueue;
  private readonly now: () => number;
  private readonly tracks: TrackedItems;
  private check: AdvertCheck;
  private endpoint: VrrpEndpoint;
  /** Resolves a stop waiting for the planned handover once the machine has ended it. */
  private handedOver: (() => void) | undefined;
  private vips: VipSet | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private linkTimer: ReturnType<typeof setInterval> | undefined;
  private running = false;
  private readonly reporter: StateReporter;
  private readonly handover: Handover;

  constructor(cfg: VrrpConfig, deps: InstanceDeps) {
    validateVrrpConfig(cfg);
    this.name = cfg.name;
    this.cfg = cfg;
    this.deps = deps;
    this.log = deps.log.child({ vrrp: cfg.name });
    this.tracks = new TrackedItems(this.log, () => this.recompute());
    this.notify = deps.notify ?? new NotifyQueue(this.log);
    this.now = deps.now ?? (() => performance.now());
    const onDrop = (i: string, reason: DropReason) => this.deps.onDrop?.(i, reason);
    this.endpoint = new VrrpEndpoint(cfg, this.log, (r) => this.receive(r), onDrop);
    this.check = new AdvertCheck(cfg, this.endpoint.ifindex, onDrop, this.log);
    this.drops = this.check.drops;
    this.fsm = new VrrpFsm({
      version: cfg.version,
      priority: cfg.priority,
      advertIntMs: cfg.advert_int,
      preempt: cfg.preempt,
      preemptDelayMs: cfg.preempt_delay,
      primary: this.endpoint.src ?? "::",
      initialState: cfg.state,
    });
    this.handover = new Handover(
      () => this.cfg,
      this.log,
      () => this.deps.graceMs ?? DEFAULT_GRACE_MS,
      () => this.src,
    );
    this.reporter = new StateReporter(
      cfg.name,
      this.fsm,
      () => this.src,
      (r) => this.deps.onState?.(r),
      this.log,
    );
  }

  /** Address family of the instance, decided by its VIPs. */
  get family(): 4 | 6 {
    return this.endpoint.family;
  }

  /** Source address of our adverts ("" while an IPv6 instance waits for its link-local address). */
  get src(): string {
    return this.endpoint.src ?? "";
  }

  get state(): VrrpState {
    return this.fsm.state;
  }

  start(): void {
    if (this.running) return;
    const c = this.cfg;
    this.vips = new VipSet(c, this.log);
    this.vips.removeLeftovers();
    this.handover.clearLeftovers();
    if (!this.endpoint.open()) this.tracks.waitLinkLocal();
    this.running = true;
    this.tracks.build(c);
    this.pollLinks();
    this.linkTimer = setInterval(() => this.pollLinks(), LINK_POLL_MS);
    const eff = effectivePriority(c.priority, this.tracks.values());
    this.fsm.priority = eff.priority;
    this.ownFault = eff.fault;
    if (eff.fault || this.syncFault) {
      this.apply(this.fsm.setFault(this.now(), true, eff.fault ? eff.reason : "sync group member in FAULT"));
    } else this.apply(this.fsm.start(this.now()));
  }

  /**
   * A reload's settings, applied without leaving the current state (keepalived's reload): the machine's
   * priority, preemption and interval, the tracked items, the VIPs (a master adds and drops them and
   * announces the new ones), the wire settings (the endpoint is reopened), notify scripts and GARP
   * timing. Everything new is built before anything is changed: a throw leaves the instance as it was.
   * The manager restarts instead when `plan.restart` is set.
   */
  reconfigure(next: VrrpConfig, plan: VrrpReloadPlan): void {
    validateVrrpConfig(next);
    const onDrop = (i: string, reason: DropReason) => this.deps.onDrop?.(i, reason);
    const endpoint = plan.wire ? new VrrpEndpoint(next, this.log, (r) => this.receive(r), onDrop) : undefined;
    const vips = plan.vips && this.running ? new VipSet(next, this.log) : undefined;
    if (endpoint && this.running) {
      // Closed first: the new end may share the old one's channel, and closing after would detach it.
      this.endpoint.close();
      let opened: boolean;
      try {
        opened = endpoint.open();
      } catch (e) {
        this.endpoint.open();
        vips?.close();
        throw e;
      }
      if (!opened) this.tracks.waitLinkLocal();
      else if (endpoint.src) this.fsm.setPrimary(endpoint.src);
    }
    const prev = this.cfg;
    this.cfg = next;
    if (endpoint) {
      this.endpoint = endpoint;
      this.check = new AdvertCheck(next, endpoint.ifindex, onDrop, this.log, this.drops);
    }
    if (vips && this.vips) {
      const master = this.vips.isHeld;
      this.vips.replaceBy(vips);
      this.vips = vips;
      if (master) {
        vips.add();
        vips.announce();
      }
    }
    const now = this.now();
    this.apply(
      this.fsm.update(now, {
        priority: next.priority,
        advertIntMs: next.advert_int,
        preempt: next.preempt,
        preemptDelayMs: next.preempt_delay,
        version: next.version,
      }),
    );
    if (plan.tracks && this.running) {
      this.tracks.build(next);
      this.pollLinks();
    }
    this.log.info("VRRP instance reloaded in place", {
      changes: plan.changes,
      state: this.fsm.state,
      from_priority: prev.priority,
    });
    this.recompute();
  }

  /** Once the link-local address is usable: adopt it as our primary and leave the FAULT it caused. */
  private pollLinkLocal(): void {
    if (!this.running) return;
    const src = this.endpoint.adoptLinkLocal();
    if (!src) return;
    this.fsm.setPrimary(src);
    this.tracks.linkLocalReady();
  }

  /**
   * Clean stop: a master hands over first (fsm.resign: priority 0, VIPs kept until the peer's first
   * MASTER advert, RESIGN_INTERVALS intervals at most), then the VIPs go, notify_stop runs, the sockets
   * close. With `keepHidden` VIPs a peer took over stay hidden for the caller's drain, until release().
   */
  async stop(keepHidden = false): Promise<void> {
    if (!this.running) return;
    if (this.fsm.state === "MASTER") {
      const bound = RESIGN_INTERVALS * this.cfg.advert_int;
      const done = new Promise<void>((resolve) => {
        this.handedOver = resolve;
      });
      this.log.info("handing over: advertising priority 0, keeping the VIPs until a peer is MASTER", {
        bound_ms: bound,
      });
      this.apply(this.fsm.resign(this.now(), "stop"));
      // The machine ends the handover on its own timer; this bound only guards against a lost timer.
      let guard: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([done, new Promise((r) => (guard = setTimeout(r, bound + 1000)))]);
      clearTimeout(guard);
      this.handedOver = undefined;
    }
    this.apply(this.fsm.shutdown(this.now()));
    this.running = false;
    clearTimeout(this.timer);
    clearInterval(this.linkTimer);
    this.tracks.stop();
    this.endpoint.close();
    this.vips?.close();
    if (!keepHidden) this.release("stopped");
    await this.notify.idle();
  }

  /** Resolves once no VIPs are kept hidden for a drain (their bound is grace plus a second). */
  drained(): Promise<void> {
    return this.handover.drained();
  }

  /** The drain after a handover is over: VIPs kept hidden for it go now. */
  release(why: string): void {
    this.handover.release(why);
  }

  setPoolQuorum(pool: string, ok: boolean): void {
    this.tracks.set(`pool:${pool}`, ok);
  }

  /** Operator adjustment: lower (negative) or raise the priority by `delta`; 0 removes it. */
  adjustPriority(delta: number): void {
    this.tracks.adjust(delta);
    this.recompute();
  }

  hold(on: boolean): void {
    if (on && this.fsm.state === "MASTER" && !this.fsm.resigning)
      this.log.info("handing over: held in BACKUP, keeping the VIPs until a peer is MASTER");
    this.apply(this.fsm.hold(this.now(), on));
  }

  force(to: "MASTER" | "BACKUP", reason: string): void {
    if (this.running) this.apply(this.fsm.force(this.now(), to, reason));
  }

  setSyncFault(on: boolean): void {
    if (this.syncFault === on) return;
    this.syncFault = on;
    this.recompute();
  }

  private pollLinks(): void {
    this.pollLinkLocal();
    this.tracks.pollLinks();
  }

  private recompute(): void {
    if (!this.running) return;
    const eff = effectivePriority(this.cfg.priority, this.tracks.values());
    this.ownFault = eff.fault;
    const now = this.now();
    const fault = eff.fault || this.syncFault;
    const reason = eff.fault ? eff.reason : this.syncFault ? "sync group member in FAULT" : eff.reason;
    this.apply(this.fsm.setPriority(now, eff.priority));
    if (fault !== (this.fsm.state === "FAULT")) this.apply(this.fsm.setFault(now, fault, reason));
    this.reporter.priorityChecked(eff.reason);
  }

  private receive(r: Received): void {
    const v = this.check.accept(r, this.src);
    if (!v) return;
    this.apply(
      this.fsm.advert(this.now(), {
        priority: v.advert.priority,
        intervalMs: v.advert.intervalMs,
        src: v.src,
      }),
    );
    this.reporter.advertSeen();
  }

  private apply(acts: FsmAction[]): void {
    const transitions: Array<[VrrpState, VrrpState]> = [];
    for (const a of acts) {
      try {
        this.perform(a, transitions);
      } catch (e) {
        this.log.error(`VRRP action ${a.type} failed`, { error: e instanceof Error ? e.message : String(e) });
      }
    }
    for (const [from, to] of transitions) this.onTransition?.(this, from, to);
    if (this.handedOver && !this.fsm.resigning) this.handedOver();
  }

  private perform(a: FsmAction, transitions: Array<[VrrpState, VrrpState]>): void {
    switch (a.type) {
      case "send_advert":
        this.endpoint.sendAdvert(a.priority);
        return;
      case "relay_in":
        this.handover.relayIn(a.peer);
        return;
      case "add_vips":
        this.handover.reclaim();
        this.vips?.add();
        return;
      case "retire_vips":
        if (this.vips) this.handover.retire(this.vips);
        return;
      case "remove_vips":
        this.vips?.remove();
        return;
      case "garp":
        this.vips?.announce();
        return;
      case "stop_garp":
        this.vips?.stopAnnouncing();
        return;
      case "set_timer":
        this.schedule(a.at);
        return;
      case "notify":
        this.runNotify(a.state);
        return;
      case "state": {
        if (a.from === "MASTER") this.handover.endRelay(`left MASTER for ${a.to}`);
        transitions.push([a.from, a.to]);
        this.reporter.transition(a.from, a.to, a.reason);
        return;
      }
    }
  }

  private schedule(at: number | null): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (at === null || !this.running) return;
    this.timer = setTimeout(() => this.fire(), Math.max(0, at - this.now()));
  }

  private fire(): void {
    const acts = this.fsm.tick(this.now());
    // A timer can wake a hair early: re-arm for the same deadline instead of losing it.
    if (acts.length === 0) this.schedule(this.fsm.timerAt);
    else this.apply(acts);
  }

  private runNotify(state: "MASTER" | "BACKUP" | "FAULT" | "STOP"): void {
    const c = this.cfg;
    const specific = {
      MASTER: c.notify_master,
      BACKUP: c.notify_backup,
      FAULT: c.notify_fault,
      STOP: c.notify_stop,
    }[state];
    if (specific) this.notify.run(specific);
    if (c.notify) this.notify.run(c.notify, ["INSTANCE", this.name, state, String(this.fsm.priority)]);
  }
}
