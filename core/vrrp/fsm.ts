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
  /**
   * Before the VIPs are added (after the advert): the peer resigned (priority 0), so its open connections may still send
   * segments here once clients' ARP entries move: relay them to it (handover-relay.ts).
   */
  | { type: "relay_in"; peer: string }
  /**
   * A planned handover is done (the peer's MASTER advert was seen): the VIPs go, but the instance may
   * keep them hidden from ARP while the connections it still has drain (instead of remove_vips).
   */
  | { type: "retire_vips" }
  /** Stop the gratuitous ARP schedule (a resigning master must not pull clients back from its peer). */
  | { type: "stop_garp" }
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
  /** keepalived's `state`: MASTER starts as master at once (adverts out, VIPs up) and yields to a
   * higher priority; BACKUP (the default) waits out the master-down interval first. */
  initialState?: "MASTER" | "BACKUP";
}

/** The settings a reload may change on a running machine. */
export type FsmSettings = Pick<
  FsmOptions,
  "version" | "priority" | "advertIntMs" | "preempt" | "preemptDelayMs"
>;

/**
 * A planned handover waits this many advert intervals for the peer's first MASTER advert before it
 * drops the VIPs anyway (no peer, or one that cannot take over).
 */
export const RESIGN_INTERVALS = 3;
/**
 * After the peer's first MASTER advert the VIPs stay a little longer: its gratuitous ARP leaves right
 * behind that advert, and a client must not meet a vanished address before its cache has moved.
 */
export const HANDOVER_MARGIN_MS = 100;

/** The longest a planned handover of any of `instances` can take (what a caller waits for at most). */
export function handoverBoundMs(instances: ReadonlyArray<{ advert_int: number }>): number {
  return Math.max(0, ...instances.map((c) => RESIGN_INTERVALS * c.advert_int + HANDOVER_MARGIN_MS));
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
  /**
   * A planned handover under way (stop, or the operator's hold): still MASTER with the VIPs up, but
   * advertising priority 0 until a peer's MASTER advert is seen (`peerSeen`) or `until` passes.
   */
  resigning: { end: "stop" | "hold"; until: number; peerSeen?: string } | undefined;
  /** A lower-priority master was heard: announce the VIPs once more with the next advert. */
  private regarp = false;
  /** The master resigned (its last advert had priority 0): taking over from it is a planned handover. */
  peerResigned: string | undefined;
  private o: FsmOptions;
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
    if (this.state === "MASTER" && this.resigning) {
      const r = this.resigning;
      if (now >= r.until)
        return this.finishResign(now, r.peerSeen ? `${r.peerSeen} took over` : "no peer took over");
      // Re-send the resignation each interval: one lost packet must not cost a master-down interval.
      return [{ type: "send_advert", priority: 0 }, this.arm(Math.min(r.until, now + this.o.advertIntMs))];
    }
    if (this.state === "MASTER") {
      const again: FsmAction[] = this.regarp ? [{ type: "garp" }] : [];
      this.regarp = false;
      return [{ type: "send_advert", priority: this.priority }, ...again, this.arm(now + this.o.advertIntMs)];
    }
    if (this.state === "BACKUP") {
      if (this.held) return [this.arm(now + this.masterDownMs())];
      return this.becomeMaster(now, "master down timer expired");
    }
    return [];
  }

  advert(now: number, a: PeerAdvert): FsmAction[] {
    if (this.state === "MASTER" && this.resigning) {
      // Any master but us now: the VIPs go once its gratuitous ARP has had HANDOVER_MARGIN_MS to land.
      if (a.priority === 0 || this.resigning.peerSeen) return [];
      this.masterAddr = a.src;
      this.resigning.peerSeen = a.src;
      this.resigning.until = Math.min(this.resigning.until, now + HANDOVER_MARGIN_MS);
      return [this.arm(this.resigning.until)];
    }
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
      // A lower-priority master is out there (split brain healing): re-advertise at once so it yields,
      // and pull back the clients its gratuitous ARP took (keepalived: "refresh remote ARP cache"), or
      // they stay with a node that drops the VIP as soon as it sees this advert. Once more with the
      // next advert: its own gratuitous ARP, sent right after the advert we answer, may land after ours.
      this.regarp = true;
      return [
        { type: "send_advert", priority: this.priority },
        { type: "garp" },
        this.arm(now + this.o.advertIntMs),
      ];
    }
    if (this.state !== "BACKUP") return [];
    this.masterAddr = a.src;
    this.peerResigned = a.priority === 0 ? a.src : undefined;
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
      this.resigning = undefined;
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
    if (this.state === "MASTER" && !this.resigning)
      return [{ type: "send_advert", priority: next }, this.arm(now + this.o.advertIntMs)];
    return [];
  }

  /**
   * Planned handover, the first half of a clean stop (end = "stop") or of the operator's hold: a master
   * advertises priority 0 so a backup takes over after only its skew, but keeps its VIPs (and so its
   * clients) until that backup's first MASTER advert, bounded by RESIGN_INTERVALS intervals. Not a master:
   * nothing to hand over ([]). The machine ends the handover itself (tick): stopped in INIT, or in BACKUP.
   */
  resign(now: number, end: "stop" | "hold"): FsmAction[] {
    if (end === "hold") this.held = true;
    if (this.state !== "MASTER") return [];
    // A stop under way stays a stop; a hold under way becomes one.
    if (this.resigning) {
      if (end === "stop") this.resigning.end = "stop";
      return [];
    }
    const until = now + RESIGN_INTERVALS * this.o.advertIntMs;
    this.resigning = { end, until };
    return [
      { type: "send_advert", priority: 0 },
      { type: "stop_garp" },
      this.arm(Math.min(until, now + this.o.advertIntMs)),
    ];
  }

  /** Clean stop now: a master resigns with priority 0 and drops its VIPs at once (no handover wait). */
  shutdown(_now: number): FsmAction[] {
    if (this.state === "INIT") return [];
    const acts: FsmAction[] = [];
    if (this.state === "MASTER") {
      if (!this.resigning) acts.push({ type: "send_advert", priority: 0 });
      acts.push({ type: "remove_vips" });
    }
    this.resigning = undefined;
    acts.push(this.arm(null), { type: "notify", state: "STOP" });
    return this.transition("INIT", "shutdown", acts);
  }

  private finishResign(now: number, why: string): FsmAction[] {
    const tookOver = !!this.resigning?.peerSeen;
    if (this.resigning?.end === "hold") {
      this.resigning = undefined;
      return retire(this.becomeBackup(now, `held in backup: ${why}`), tookOver);
    }
    // Still resigning here, so shutdown does not send priority 0 once more.
    const acts = retire(this.shutdown(now), tookOver);
    const first = acts[0];
    if (first?.type === "state") first.reason = `shutdown: ${why}`;
    return acts;
  }

  /**
   * A reload's new settings, on the running machine (keepalived's reload): no transition of its own.
   * A master re-advertises at once so the peers see a new priority or interval now; a new priority
   * takes effect through setPriority (the instance recomputes it with its tracked items).
   */
  update(now: number, s: FsmSettings): FsmAction[] {
    const intervalChanged = s.advertIntMs !== this.o.advertIntMs;
    this.o = { ...this.o, ...s };
    if (!intervalChanged) return [];
    if (this.state === "MASTER" && !this.resigning) {
      this.masterAdverIntervalMs = s.advertIntMs;
      return [{ type: "send_advert", priority: this.priority }, this.arm(now + s.advertIntMs)];
    }
    // v2 backups compare against their own interval; v3 ones keep the master's until it tells them.
    if (this.o.version === 2) this.masterAdverIntervalMs = s.advertIntMs;
    return [];
  }

  /** Sync group or operator: move to MASTER or BACKUP now. */
  force(now: number, to: "MASTER" | "BACKUP", reason: string): FsmAction[] {
    if (to === "MASTER" && this.state === "BACKUP" && !this.held) return this.becomeMaster(now, reason);
    if (to === "BACKUP" && this.state === "MASTER" && !this.resigning) return this.becomeBackup(now, reason);
    return [];
  }

  /**
   * Operator "force backup": step down and stay BACKUP until released. A held master hands over as on
   * a clean stop (resign): priority 0, so the peer takes over after its skew, and the VIPs kept until
   * the peer's first advert, so no client meets an address nobody holds.
   */
  hold(now: number, on: boolean): FsmAction[] {
    if (on) return this.resign(now, "hold");
    this.held = false;
    // Released during the handover: the peer may already be master; preemption decides from here.
    if (this.resigning?.end === "hold") return this.finishResign(now, "released");
    return [];
  }

  private enterFromIdle(now: number, reason: string): FsmAction[] {
    this.peerResigned = undefined;
    this.lowerSince = this.o.preemptDelayMs > 0 ? now : undefined;
    if (this.priority === 255 && !this.held) return this.becomeMaster(now, `${reason}: address owner`);
    if (reason === "start" && this.o.initialState === "MASTER" && !this.held)
      return this.becomeMaster(now, "start: state MASTER");
    this.masterAdverIntervalMs = this.o.advertIntMs;
    return this.transition("BACKUP", reason, [
      this.arm(now + this.masterDownMs()),
      { type: "notify", state: "BACKUP" },
    ]);
  }

  private becomeMaster(now: number, reason: string): FsmAction[] {
    const from = this.peerResigned;
    this.masterAddr = undefined;
    this.peerResigned = undefined;
    return this.transition("MASTER", reason, [
      { type: "send_advert", priority: this.priority },
      // After the advert (a slow nft must not make the resigning peer give up waiting for it and drop
      // its VIPs unhidden), before the VIPs and their gratuitous ARP (which bring the peer's clients).
      ...(from ? [{ type: "relay_in", peer: from } as const] : []),
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

/** A peer took over from our resignation: the VIPs are retired, not simply removed. */
function retire(acts: FsmAction[], tookOver: boolean): FsmAction[] {
  if (!tookOver) return acts;
  return acts.map((a) => (a.type === "remove_vips" ? { type: "retire_vips" } : a));
}
