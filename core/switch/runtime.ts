// What a client connection needs from the switch around it: one object per virtual server (its config,
// compiled rules and live connections) and one shared set of services.

import type { PoolConfig, VirtualServerConfig } from "../config/types.ts";
import type { ParserOptions } from "../http/parser.ts";
import type { Logger } from "../log/logger.ts";
import type { PoolState, ServerState, Cluster } from "../state/cluster.ts";
import type { CookieInsert } from "../sched/cookie-persistence.ts";
import type { Scheduler } from "../sched/types.ts";
import type { IdleConn } from "./conn-ceiling.ts";
import type { HeldBudget } from "./held-budget.ts";
import { accessLogger } from "./access-log.ts";
import { Limits, type LimitStore } from "./limits.ts";
import type { Queues } from "./queue.ts";
import { type SourceCounter, SourceCounts } from "./source-counts.ts";
import { cidrMatcher, readCidr } from "../net/cidr.ts";
import { Router } from "./rules.ts";
import { ListenerTls } from "../tls/listener-tls.ts";
import { SniRouter } from "../tls/sni-match.ts";
import type { Upstream } from "./upstream.ts";

export interface SwitchServices {
  readonly cluster: Cluster;
  readonly log: Logger;
  schedulerFor(pool: string): Scheduler | undefined;
  poolConfig(pool: string): PoolConfig | undefined;
  /** Connections to one server of a pool. */
  upstream(pool: string, server: ServerState): Upstream;
  /** The pool's sorry server, when it has one. */
  sorry(pool: string): { server: ServerState; upstream: Upstream } | undefined;
  /** Coarse clock (ms), advanced by the sweep tick. */
  now(): number;
  /** The pool's cookie-insert persistence (scheduler option `cookie`), when it has one. */
  cookieFor?(pool: string): CookieInsert | undefined;
  /**
   * Told of every finished request: for metrics (responses by code, latency per pool). `cut`: why the
   * exchange ended short (server_timeout, server_reset, client_timeout, client_abort ...), if it did.
   */
  observe?(vs: string, pool: string | undefined, status: number, seconds: number, cut?: string): void;
  /** The bytes held before forwarding, for every connection of the switch ([global] max_held_bytes). */
  readonly held?: HeldBudget;
  /** A client stalled (`reason`) an exchange with `server` through `vs`: logged, rate-limited per server. */
  clientStall?(vs: string, server: ServerState, reason: string): void;
  /** A connection failure or a 5xx from `server` on live traffic (passive health). */
  serverError?(server: ServerState): void;
  /** Requests waiting for a server slot (pools with queue_timeout). */
  readonly queues?: Queues;
  /** A server failed an attempt through virtual server `vs` (logged, rate-limited per server). */
  serverFault?(vs: string, server: ServerState, reason: string): void;
  /** Connection counts shared with other workers: a connection leaving `conns` is given back there. */
  readonly admission?: { release(vs: string): void };
  /** Rate-limit counters and connections per source shared with other workers. */
  readonly limitStore?: LimitStore;
}

/** The live connections of a virtual server whose count is also kept by an admission (switch.ts). */
class AdmittedSet extends Set<LiveConn> {
  constructor(private readonly rt: VsRuntime) {
    super();
  }
  override delete(c: LiveConn): boolean {
    const had = super.delete(c);
    if (had) this.rt.svc.admission?.release(this.rt.cfg.name);
    return had;
  }
}

/** Something the sweep can time out and a drain can close. */
export interface LiveConn {
  deadline: number;
  onDeadline(now: number): void;
  /** Finish the current exchange, then close; or close now when idle. */
  drain(): void;
  destroy(): void;
  /** The held-bytes budget ran out: stop reading if the next bytes would be held. */
  heldSpent?(): void;
}

export class VsRuntime {
  cfg: VirtualServerConfig;
  router: Router;
  parserOpts: ParserOptions;
  /** upgrade_protocols, lower-cased. */
  upgradeProtocols: string[];
  readonly conns: Set<LiveConn>;
  /** The rate limits; undefined when there are none (the request pays nothing). */
  limits: Limits | undefined;
  /** Connections per client address, for max_connections_per_source (a connection leaves where it entered). */
  perSource: SourceCounter;
  /** Where access lines go; undefined when access_log is off. */
  accessLogger: Logger | undefined;
  /** accept_proxy's sources; undefined when the virtual server takes no PROXY header. */
  proxyFrom: ((ip: string) => boolean) | undefined;
  /** Client connections between requests, oldest first (insertion order): closed first near a limit. */
  readonly idle = new Set<IdleConn>();
  draining = false;
  readonly svc: SwitchServices;
  /** TLS terminated on the listeners ([virtual_server.tls]). */
  tls: ListenerTls | undefined;
  /** TCP mode without tls: routing by the ClientHello's server name (sni rules). */
  sni: SniRouter | undefined;

  constructor(cfg: VirtualServerConfig, svc: SwitchServices) {
    this.svc = svc;
    this.cfg = cfg;
    this.conns = svc.admission ? new AdmittedSet(this) : new Set();
    this.router = new Router(cfg);
    this.tls = cfg.tls ? new ListenerTls(cfg.tls) : undefined;
    this.sni = VsRuntime.sniRouter(cfg);
    this.limits = VsRuntime.limits(cfg, svc);
    this.perSource = svc.limitStore?.sources(cfg.name) ?? new SourceCounts();
    this.proxyFrom = VsRuntime.proxySources(cfg);
    this.accessLogger = accessLogger(cfg, this.svc.log);
    this.parserOpts = VsRuntime.parserOptions(cfg);
    this.upgradeProtocols = cfg.upgrade_protocols.map((p) => p.toLowerCase());
  }

  private static limits(cfg: VirtualServerConfig, svc: SwitchServices): Limits | undefined {
    return cfg.limit.length > 0 ? new Limits(cfg.limit, svc.limitStore?.limiters(cfg.name)) : undefined;
  }

  static parserOptions(cfg: VirtualServerConfig): ParserOptions {
    return {
      maxHeaderSize: cfg.max_header_size,
      maxHeaders: cfg.max_headers,
      maxRequestLine: Math.min(8192, cfg.max_header_size),
      maxBodySize: cfg.max_body_size,
      pauseAfterEnd: true,
    };
  }

  private static sniRouter(cfg: VirtualServerConfig): SniRouter | undefined {
    const r = cfg.mode === "tcp" && !cfg.tls ? new SniRouter(cfg) : undefined;
    return r?.active ? r : undefined;
  }

  /** Take a new config for the same listeners; rules and certificates load before anything changes. */
  update(cfg: VirtualServerConfig): void {
    const router = new Router(cfg);
    const tls = cfg.tls ? new ListenerTls(cfg.tls) : undefined;
    // A process's own counters restart with a new config; shared ones are kept for an unchanged limit.
    this.limits = VsRuntime.limits(cfg, this.svc);
    this.perSource = this.svc.limitStore?.sources(cfg.name) ?? this.perSource;
    this.cfg = cfg;
    this.router = router;
    this.tls = tls;
    this.sni = VsRuntime.sniRouter(cfg);
    this.proxyFrom = VsRuntime.proxySources(cfg);
    this.accessLogger = accessLogger(cfg, this.svc.log);
    this.parserOpts = VsRuntime.parserOptions(cfg);
    this.upgradeProtocols = cfg.upgrade_protocols.map((p) => p.toLowerCase());
  }

  static proxySources(cfg: VirtualServerConfig): ((ip: string) => boolean) | undefined {
    if (cfg.accept_proxy.length === 0) return undefined;
    const nets = cfg.accept_proxy.flatMap((c) => {
      const r = readCidr(c);
      return r.ok ? [cidrMatcher(r.value)] : [];
    });
    return (ip) => nets.some((m) => m(ip));
  }

  /**
   * Why a new HTTP connection from `ip` is refused (a counter name), or undefined. A connection whose
   * client comes in a PROXY header is counted per source once the header is read (listener.ts).
   */
  admit(ip: string): string | undefined {
    const from = this.proxyFrom;
    if (from !== undefined) return from(ip) ? undefined : "reject.proxy_source";
    return this.perSource.enter(ip, this.cfg.max_connections_per_source)
      ? undefined
      : "reject.max_connections_per_source";
  }

  pool(name: string): PoolState | undefined {
    return this.svc.cluster.pools.get(name);
  }
}
