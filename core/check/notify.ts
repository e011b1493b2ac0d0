// notify_up / notify_down: run the operator's command without waiting for it. Arguments after the
// command: pool, server, address, UP|DOWN, reason (also in TCPVS_* environment variables). A command
// that hangs is killed with its process group after NOTIFY_TIMEOUT_MS (core/exec/run-command.ts).

import { runCommand, shellArgv } from "../exec/run-command.ts";
import { log } from "../log/logger.ts";

export const NOTIFY_TIMEOUT_MS = 30_000;

export interface NotifyEvent {
  pool: string;
  server: string;
  address: string;
  state: "UP" | "DOWN";
  reason: string;
}

export function notifyArgv(command: string, e: NotifyEvent): string[] {
  return shellArgv(command, [e.pool, e.server, e.address, e.state, e.reason], "tcpvs-notify");
}

/** A pool's quorum changed (quorum_up / quorum_down): arguments pool, UP|DOWN, live weight. */
export interface QuorumEvent {
  pool: string;
  state: "UP" | "DOWN";
  liveWeight: number;
}

export function runQuorumNotify(command: string, e: QuorumEvent): void {
  const env = {
    ...process.env,
    TCPVS_POOL: e.pool,
    TCPVS_STATE: e.state,
    TCPVS_LIVE_WEIGHT: String(e.liveWeight),
  };
  const argv = shellArgv(command, [e.pool, e.state, String(e.liveWeight)], "tcpvs-quorum");
  runCommand(argv, { timeoutMs: NOTIFY_TIMEOUT_MS, env, unref: true }).then(
    (r) => {
      if (r.code !== 0) log.warn(`Quorum command exited ${r.code ?? r.signal}`, { command, pool: e.pool });
    },
    (err) => log.warn(`Cannot run quorum command ${JSON.stringify(command)}`, { error: err, pool: e.pool }),
  );
}

export function runNotify(command: string, e: NotifyEvent): void {
  const env = {
    ...process.env,
    TCPVS_POOL: e.pool,
    TCPVS_SERVER: e.server,
    TCPVS_ADDRESS: e.address,
    TCPVS_STATE: e.state,
    TCPVS_REASON: e.reason,
  };
  runCommand(notifyArgv(command, e), { timeoutMs: NOTIFY_TIMEOUT_MS, env, unref: true }).then(
    (r) => {
      if (r.code !== 0) {
        const how = r.timedOut ? `timed out after ${NOTIFY_TIMEOUT_MS} ms` : `exited ${r.code ?? r.signal}`;
        log.warn(`notify command ${how}`, { command, pool: e.pool, server: e.server });
      }
    },
    (err) => log.warn(`Cannot run notify command ${JSON.stringify(command)}`, { error: err, pool: e.pool }),
  );
}
