// The VRRP state machine of RFC 3768/5798 §6.4 as a pure object: events carry the time, the result is
// a list of actions for the instance to perform. One timer (advert timer as MASTER, master-down timer as
// BACKUP) is kept as an absolute deadline; the instance calls tick() when it passes.

import { canonicalIp, compareIp } from "../net/ip.ts";

export type VrrpState = "INIT" | "BACKUP" | "MASTER" | "FAULT";
export type NotifyState = "MASTER" | "BACKUP" | "FAULT" | "STOP";

export type FsmAction =
  | { type: "send_advert"; priority: number }
  | { type: "add_vips" }
  | { type: "remove_vips" }
  | { type: "garp" }
  | { type: "notify"; state: NotifyState }
  | { type: "set_timer"; at: number | null }
  | { type: "state"; from: VrrpState; to: VrrpState; reason: string };

export interface FsmOptions {
  version: 2 | 3;
  /** Configured priority 1-255 (255 = address owner). */
  priority: number;
  advertIntMs: number;
  preempt: boolean;
  preemptDelayMs: number;
  /** Our primary address: breaks priority ties against a peer's source address. */
  primary: string;
}

export interface PeerAdvert {
  priority: number;
  intervalMs: number;
  src: string;
}

export class VrrpFsm {
  state: VrrpState = "INIT";
  /** Priority after tracking weights; the one we advertise and compare. */
  priority: number;
  /** The current master's interval (v3 backups adopt it; v2 equals ours). */
  masterAdverIntervalMs: number;
  timerAt: number | null = null;
  /** Source address of the master we last heard, if any. */
  masterAddr: string | undefined;
  /** Held in BACKUP by the operator (force backup): the master-down timer never promotes. */
  held = false;
  private readonly o: FsmOptions;
  /** Our primary address, canonical (IPv4 or IPv6; the peer's is the same family). */
  private primary: string;
  /**
   * Start of the preempt_delay window: start-up (or leaving FAULT), else the first lower-priority advert
   * after an equal or higher one, as keepalived counts it ("after startup or seeing a lower priority
   * master"). Undefined = no window open; the next lower-priority advert opens one.
   */
  private lowerSince: number | undefined;

  constructor(o: FsmOptions) {
    this.o = o;
    this.priority = o.priority;
    this.masterAdverIntervalMs = o.advertIntMs;
    this.primary = canonicalIp(o.primary);
  }

  /** The source address became known late (an IPv6 link-local address that was not ready at start). */
  setPrimary(addr: string): void {
    this.primary = canonicalIp(addr);
  }

  skewMs(): number {
    const base = this.o.version === 2 ? 1000 : this.masterAdverIntervalMs;
    return Math.floor(((256 - this.priority) * base) / 256);
  }

  masterDownMs(): number {
    return 3 * this.masterAdverIntervalMs + this.skewMs();
  }

  start(now: number): FsmAction[] {
    if (this.state !== "INIT") return [];
    return this.enterFromIdle(now, "start");
  }

  tick(now: number): FsmAction[] {
    if (this.timerAt === null || now < this.timerAt) return [];
    if (this.state === "MASTER")
      return [{ type: "send_advert", priority: this.priority }, this.arm(now + this.o.advertIntMs)];
    if (this.state === "BACKUP") {
      if (this.held) return [this.arm(now + this.masterDownMs())];
      return this.becomeMaster(now, "master down timer expired");
    }
    return [];
  }

  advert(now: number, a: PeerAdvert): FsmAction[] {
    if (this.state === "MASTER") {
      if (a.priority === 0)
        return [{ type: "send_advert", priority: this.priority }, this.arm(now + this.o.advertIntMs)];
      if (
        a.priority > this.priority ||
        (a.priority === this.priority && compareIp(a.src, this.primary) > 0)
      ) {
        this.masterAddr = a.src;
        if (this.o.version === 3) this.masterAdverIntervalMs = a.intervalMs;
        return this.becomeBackup(now, `higher priority ${a.priority} from ${a.src}`);
      }
      // A lower-priority master is out there (split brain healing): re-advertise at once so it yields.
      return [{ type: "send_advert", priority: this.priority }, this.arm(now + this.o.advertIntMs)];
    }
    if (this.state !== "BACKUP") return [];
    this.masterAddr = a.src;
    if (a.priority === 0) return [this.arm(now + this.skewMs())];
    if (!this.o.preempt || a.priority >= this.priority || this.preemptDelayed(now)) {
      if (a.priority >= this.priority) this.lowerSince = undefined;
      if (this.o.version === 3) this.masterAdverIntervalMs = a.intervalMs;
      return [this.arm(now + this.masterDownMs())];
    }
    // Lower priority and preemption allowed: ignore it and let the master-down timer run out.
    return [];
  }

  private preemptDelayed(now: number): boolean {
    if (this.o.preemptDelayMs <= 0) return false;
    this.lowerSince ??= now;
    return now < this.lowerSince + this.o.preemptDelayMs;
  }

  /** Interface or tracked resource failed (fault=true) or recovered. */
  setFault(now: number, fault: boolean, reason: string): FsmAction[] {
    if (fault) {
      if (this.state === "FAULT" || this.state === "INIT") {
        if (this.state === "INIT")
          return this.transition("FAULT", reason, [{ type: "notify", state: "FAULT" }]);
        return [];
      }
      const acts: FsmAction[] = [];
      if (this.state === "MASTER") acts.push({ type: "send_advert", priority: 0 }, { type: "remove_vips" });
      acts.push(this.arm(null), { type: "notify", state: "FAULT" });
      return this.transition("FAULT", reason, acts);
    }
    if (this.state !== "FAULT") return [];
    return this.enterFromIdle(now, reason);
  }

  /** Effective priority changed by tracking; a master tells its peers at once. */
  setPriority(now: number, p: number): FsmAction[] {
    const next = Math.max(1, Math.min(255, p));
    if (next === this.priority) return [];
    this.priority = next;
    if (this.state === "MASTER")
      return [{ type: "send_advert", priority: next }, this.arm(now + this.o.advertIntMs)];
    return [];
  }

  /** Clean stop: a master resigns with priority 0 so backups take over after only their skew. */
  shutdown(_now: number): FsmAction[] {
    const acts: FsmAction[] = [];
    if (this.state === "MASTER") acts.push({ type: "send_advert", priority: 0 }, { type: "remove_vips" });
    acts.push(this.arm(null), { type: "notify", state: "STOP" });
    return this.transition("INIT", "shutdown", acts);
  }

  /** Sync group or operator: move to MASTER or BACKUP now. */
  force(now: number, to: "MASTER" | "BACKUP", reason: string): FsmAction[] {
    if (to === "MASTER" && this.state === "BACKUP" && !this.held) return this.becomeMaster(now, reason);
    if (to === "BACKUP" && this.state === "MASTER") return this.becomeBackup(now, reason);
    return [];
  }

  /**
   * Operator "force backup": step down and stay BACKUP until released. A held master resigns with
   * priority 0, as on shutdown, so the peer takes over after its skew instead of a master-down interval
   * with nobody holding the VIP.
   */
  hold(now: number, on: boolean): FsmAction[] {
    this.held = on;
    if (!on || this.state !== "MASTER") return [];
    const [state, ...rest] = this.becomeBackup(now, "held in backup");
    return [state!, { type: "send_advert", priority: 0 }, ...rest];
  }

  private enterFromIdle(now: number, reason: string): FsmAction[] {
    this.lowerSince = this.o.preemptDelayMs > 0 ? now : undefined;
    if (this.priority === 255 && !this.held) return this.becomeMaster(now, `${reason}: address owner`);
    this.masterAdverIntervalMs = this.o.advertIntMs;
    return this.transition("BACKUP", reason, [
      this.arm(now + this.masterDownMs()),
      { type: "notify", state: "BACKUP" },
    ]);
  }

  private becomeMaster(now: number, reason: string): FsmAction[] {
    this.masterAddr = undefined;
    return this.transition("MASTER", reason, [
      { type: "send_advert", priority: this.priority },
      { type: "add_vips" },
      { type: "garp" },
      this.arm(now + this.o.advertIntMs),
      { type: "notify", state: "MASTER" },
    ]);
  }

  private becomeBackup(now: number, reason: string): FsmAction[] {
    // Stepping down for a better master: should it weaken later, the delay counts from that moment.
    this.lowerSince = undefined;
    return this.transition("BACKUP", reason, [
      { type: "remove_vips" },
      this.arm(now + this.masterDownMs()),
      { type: "notify", state: "BACKUP" },
    ]);
  }

  private arm(at: number | null): FsmAction {
    this.timerAt = at;
    return { type: "set_timer", at };
  }

  private transition(to: VrrpState, reason: string, acts: FsmAction[]): FsmAction[] {
    const from = this.state;
    this.state = to;
    return [{ type: "state", from, to, reason }, ...acts];
  }
}
