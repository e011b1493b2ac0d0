// The one contract every long-lived part of a daemon keeps (switch, health monitor, VRRP, control and
// metrics servers), so that start order, rollback, reload, stop and the state dump are written once, in
// Daemon, for every role.

import type { ConfigProblem } from "../config/load.ts";
import type { TcpvsConfig } from "../config/types.ts";

/** A config as loaded and validated, with the hash of its text. */
export interface LoadedConfig {
  config: TcpvsConfig;
  hash: string;
  /** Usable but due for attention (a certificate expiring, TLS unverified): logged as warnings. */
  warnings?: ConfigProblem[];
}

export interface Service {
  /** Names the service in logs: "switch", "control". */
  readonly name: string;
  /** Bind, spawn, listen. Throwing makes the daemon stop the services already started, in reverse. */
  start(): Promise<void>;
  /**
   * Apply a validated config. Throwing makes the daemon call reload again on every service with the
   * previous config. A service whose settings apply only at restart warns, or does nothing.
   */
  reload(next: LoadedConfig): Promise<void>;
  /**
   * Stop within graceMs (0: now). The daemon may call it again with 0 while a stop is under way, to cut
   * it short (a second Ctrl-C): it must then resolve no later than the first call.
   */
  stop(graceMs: number): Promise<void>;
  /**
   * Called once every service has stopped (the switch's drain is over): undo what this service's stop
   * kept for the others' drain (VRRP keeps the VIPs a peer took over, hidden, for it).
   */
  settle?(): Promise<void>;
  /** SIGUSR1: the service's state to the log, one line per item. */
  dump(): void;
  /**
   * An observer (control channel, metrics): stopped after every other service, so `tcpvs status` and a
   * scrape can still watch VRRP resign and the switch drain.
   */
  readonly stopsLast?: boolean;
}
