// What one VRRP instance tells the outside world (status, metrics, the serve process) about its
// state, priority and master. Transitions are told as they happen; the reporter also remembers what
// it last told, because two changes come with no transition at all: a priority change that keeps the
// state, and a backup learning its master from adverts after it entered BACKUP.

import type { Logger } from "../log/logger.ts";
import type { VrrpFsm, VrrpState } from "./fsm.ts";

export interface VrrpStateReport {
  instance: string;
  state: VrrpState;
  priority: number;
  /** The master's address as far as we know (ours when MASTER). */
  master?: string;
  reason: string;
  /** Epoch ms. */
  at: number;
}

export class StateReporter {
  private readonly instance: string;
  private readonly fsm: VrrpFsm;
  /** Our advert source now: read at report time since an IPv6 instance learns it late. */
  private readonly ownAddr: () => string;
  private readonly onState: (r: VrrpStateReport) => void;
  private readonly log: Logger;
  /** The priority last told, so a change without a transition is told too. */
  private priority = -1;
  /** The master address last told: a backup learns it from adverts, after its transition. */
  private master: string | undefined = undefined;

  constructor(
    instance: string,
    fsm: VrrpFsm,
    ownAddr: () => string,
    onState: (r: VrrpStateReport) => void,
    log: Logger,
  ) {
    this.instance = instance;
    this.fsm = fsm;
    this.ownAddr = ownAddr;
    this.onState = onState;
    this.log = log;
  }

  /** The FSM entered `to`: log it and tell it, with the priority and master as they are now. */
  transition(from: VrrpState, to: VrrpState, reason: string): void {
    this.log.info(`entering ${to} state`, { from, reason, priority: this.fsm.priority });
    this.tell(to, reason);
  }

  /**
   * After a priority recomputation: a change that keeps the state (an operator's "priority N", a
   * tracked item weighing on a master that stays master) has no transition to report, yet status
   * and metrics must show it. `why` is the tracking summary, possibly empty.
   */
  priorityChecked(why: string): void {
    const f = this.fsm;
    if (f.priority === this.priority || f.state === "INIT") return;
    this.tell(f.state, `priority ${f.priority}${why ? ` (${why})` : ""}`);
  }

  /** After an accepted advert: a backup learns (or sees a change of) the master with no transition. */
  advertSeen(): void {
    const f = this.fsm;
    if (f.state !== "BACKUP" || f.masterAddr === this.master) return;
    this.tell(f.state, `master ${f.masterAddr ?? "unknown"}`);
  }

  /** Report `state` with the FSM's priority and master, and remember what was told. */
  private tell(state: VrrpState, reason: string): void {
    const f = this.fsm;
    this.priority = f.priority;
    this.master = state === "MASTER" ? this.ownAddr() : f.masterAddr;
    this.onState({
      instance: this.instance,
      state,
      priority: f.priority,
      master: this.master,
      reason,
      at: Date.now(),
    });
  }
}
