// The pure timing and state rules of one check on one server. No clock, no sockets: feed it results,
// it says whether the check's state flipped and how long to wait before the next run.
//
// How keepalived's and HAProxy's words combine (see docs/checks.md):
// - `fall` (HAProxy) and `retry` (keepalived) both count failures: the check goes down after
//   max(fall, retry + 1) consecutive failures.
// - While an up check is failing but not yet down, the next try comes after `delay_before_retry`
//   (keepalived) instead of `interval`; otherwise every run is `interval` (delay_loop) apart.
// - `rise` consecutive successes bring a down check up.
// - `alpha` starts the check down (it must earn its way up); without it the check starts up.

import type { CheckConfig } from "../config/types.ts";

export type CheckTiming = Pick<
  CheckConfig,
  "interval" | "rise" | "fall" | "retry" | "delay_before_retry" | "alpha" | "warmup"
>;

export interface Verdict {
  /** The check's state after this result. */
  up: boolean;
  /** Whether this result flipped it. */
  changed: boolean;
  /** Milliseconds until the next run. */
  next: number;
}

export class CheckState {
  up: boolean;
  /** Consecutive failures / successes, reset by the opposite result. */
  fails = 0;
  oks = 0;
  private readonly timing: CheckTiming;

  constructor(timing: CheckTiming) {
    this.timing = timing;
    this.up = !timing.alpha;
  }

  /** Failures in a row that take an up check down. */
  get failsToDown(): number {
    return Math.max(1, this.timing.fall, this.timing.retry + 1);
  }

  get oksToUp(): number {
    return Math.max(1, this.timing.rise);
  }

  /** Down now, as after `fall` failures (passive health saw the server fail): `rise` passes bring it up. */
  forceDown(): void {
    this.up = false;
    this.oks = 0;
    this.fails = this.failsToDown;
  }

  record(ok: boolean): Verdict {
    const was = this.up;
    if (ok) {
      this.oks++;
      this.fails = 0;
      if (!this.up && this.oks >= this.oksToUp) this.up = true;
    } else {
      this.fails++;
      this.oks = 0;
      if (this.up && this.fails >= this.failsToDown) this.up = false;
    }
    const retrying = !ok && this.up && this.timing.delay_before_retry > 0;
    return {
      up: this.up,
      changed: was !== this.up,
      next: retrying ? this.timing.delay_before_retry : this.timing.interval,
    };
  }
}

/**
 * When to run a check first: spread over the first interval so a pool of servers is not probed in
 * one burst, but within a second for an alpha check, whose server is down until proven up. keepalived's
 * warmup sets the span itself (0: at once).
 */
export function firstDelay(timing: CheckTiming, random: number): number {
  if (timing.warmup !== undefined) return Math.floor(random * timing.warmup);
  const span = timing.alpha ? Math.min(timing.interval, 1000) : timing.interval;
  return Math.floor(random * span);
}
