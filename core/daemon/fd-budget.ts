// The global ceiling on client connections, sized from the descriptor limit the way HAProxy sizes its
// maxconn: each client connection may hold a server connection too (2 descriptors), and a reserve is
// kept for everything else the process opens. Pure.

import type { TcpvsConfig } from "../config/types.ts";

/** Descriptors kept for stdio, Bun's own (epoll, eventfds, timers), the control and metrics sockets,
 * VRRP sockets, log files and the probe: never given to connections. */
export const FIXED_RESERVE = 64;
/** Per health check of a server: its socket, or a script's three pipes. */
export const PER_CHECK = 3;
/** Per listener: its socket, and the two its accept gate keeps (core/sys/accept-gate.ts). */
export const PER_LISTENER = 3;

export interface FdBudget {
  /** The soft RLIMIT_NOFILE in force. */
  nofile: number;
  /** Descriptors kept out of the connections' share. */
  reserve: number;
  /** floor((nofile - reserve) / 2): client connections the descriptors allow. */
  fromLimit: number;
  /** The ceiling in force: fromLimit, or [global] max_connections when that is lower. */
  ceiling: number;
  /** [global] max_connections asked for more than the descriptors allow. */
  capped: boolean;
}

/**
 * Descriptors reserved for a config: the fixed part, PER_LISTENER per listener, PER_CHECK per server
 * check. With data-path workers each one has its own socket and gate per listener (`workers` copies).
 */
export function reserveFor(cfg: TcpvsConfig, workers = 1): number {
  let listeners = 0;
  for (const vs of cfg.virtual_server) listeners += vs.listen.length;
  let checks = 0;
  for (const p of Object.values(cfg.pool)) checks += p.server.length * p.check.length;
  return FIXED_RESERVE + PER_LISTENER * listeners * workers + PER_CHECK * checks;
}

export function fdBudget(nofile: number, cfg: TcpvsConfig, workers = 1): FdBudget {
  const reserve = reserveFor(cfg, workers);
  const fromLimit = Math.max(1, Math.floor((nofile - reserve) / 2));
  const asked = cfg.global.max_connections ?? 0;
  if (asked > 0 && asked <= fromLimit) return { nofile, reserve, fromLimit, ceiling: asked, capped: false };
  return { nofile, reserve, fromLimit, ceiling: fromLimit, capped: asked > fromLimit };
}
