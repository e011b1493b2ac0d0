// Who wins a contended CPU. VRRP's adverts come first: one late advert is a false failover at the
// peer. The control plane (health checks, the control channel) comes next: a check that times out
// takes a server, or a pool's quorum and the VIP, with it. The data path runs as other processes do.
//
// Measured (docs/workers.md): with the data-path threads at nice 5 instead, a saturated 2-core node
// preempted them three times as often as HAProxy's (0.6 involuntary switches per request against
// 0.14 to 0.2) and served 0.84 of HAProxy's requests, against 0.95 at nice 0. So the control plane is
// raised above the data path (CAP_SYS_NICE: a director that runs VRRP is root), and only a process
// that cannot raise it lowers its data path instead.

import { setThreadNice } from "./libc.ts";

export const VRRP_NICE = -10;
export const CONTROL_NICE = -5;
export const DATA_PATH_NICE = 0;
/** The data path's nice value when the control plane could not be raised above 0. */
export const DATA_PATH_NICE_UNRAISED = 5;

let raised = false;

/** Set the calling thread's nice value: undefined when done, else why not. */
export function trySetThreadNice(nice: number): string | undefined {
  try {
    setThreadNice(nice);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** Raise the calling (main) thread to CONTROL_NICE: undefined when done, else why not. */
export function raiseControlPlane(): string | undefined {
  const why = trySetThreadNice(CONTROL_NICE);
  raised = why === undefined;
  return why;
}

/** The nice value data-path threads take: below the control plane either way. */
export function dataPathNice(): number {
  return raised ? DATA_PATH_NICE : DATA_PATH_NICE_UNRAISED;
}
