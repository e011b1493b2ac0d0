// notify_up / notify_down: run the operator's command without waiting for it. Arguments after the
// command: pool, server, address, UP|DOWN, reason (also in TCPVS_* environment variables). A command
// that hangs is killed with its process group after NOTIFY_TIMEOUT_MS.

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
  return ["/bin/sh", "-c", `${command} "$@"`, "tcpvs-notify", e.pool, e.server, e.address, e.state, e.reason];
}

export function runNotify(command: string, e: NotifyEvent): void {
  let proc: ReturnType<typeof Bun.spawn>;
  try {
    proc = Bun.spawn(notifyArgv(command, e), {
      detached: true,
      stdio: ["ignore", "ignore", "ignore"],
      env: {
        ...process.env,
        TCPVS_POOL: e.pool,
        TCPVS_SERVER: e.server,
        TCPVS_ADDRESS: e.address,
        TCPVS_STATE: e.state,
        TCPVS_REASON: e.reason,
      },
    });
  } catch (err) {
    log.warn(`Cannot run notify command ${JSON.stringify(command)}`, { error: err, pool: e.pool });
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-proc.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }, NOTIFY_TIMEOUT_MS);
  timer.unref?.();
  void proc.exited.then((code) => {
    clearTimeout(timer);
    if (code !== 0) log.warn(`Notify command exited ${code}`, { command, pool: e.pool, server: e.server });
  });
}
