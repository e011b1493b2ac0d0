// The data path of `tcpvs serve`: listeners for virtual servers (HTTP or TCP mode) on Bun.listen, server
// connections on Bun.connect, one sweep tick for every deadline, reload that keeps established
// connections, and a graceful stop.

import { parseEndpoint } from "../config/values.ts";
import type { Socket, SocketListener, TLSOptions } from "bun";
import { poolTlsOptions } from "../tls/pool-tls.ts";
import type { Endpoint, PoolConfig, VirtualServerConfig } from "../config/types.ts";
import { log as defaultLog, type Logger } from "../log/logger.ts";
import type { CookieInsert } from "../sched/cookie-persistence.ts";
import type { Scheduler } from "../sched/types.ts";
import { type Cluster, ServerState } from "../state/cluster.ts";
import { AcceptGate, type GateRecord } from "../sys/accept-gate.ts";
import { fdShortage } from "../sys/fd-limit.ts";
import { steerBySource, unsteer } from "../sys/reuseport-steer.ts";
import { ConnCeiling, type Gate, type Listening } from "./conn-ceiling.ts";
import { ClientConn } from "./client-conn.ts";
import { ParkedConn } from "./parked-conn.ts";
import { errorAnswer } from "./actions.ts";
import { type LiveConn, type SwitchServices, VsRuntime } from "./runtime.ts";
import type { LimitStore } from "./limits.ts";
import { ServerFaults } from "./server-fault.ts";
import { DEFAULT_MAX_HELD, HeldBudget } from "./held-budget.ts";
import { ThrottledWarn } from "../log/throttled-warn.ts";
import { TcpRelay } from "./tcp-relay.ts";
import { SniConn } from "./sni-conn.ts";
import { tlsListen } from "./tls-listen.ts";
import { Upstream } from "./upstream.ts";
import { Queues } from "./queue.ts";
import { SlowStart } from "./slow-start.ts";
import { PassiveHealth } from "./passive-health.ts";
import { TcpvsError } from "../errors/tcpvs-error.ts";

/** Bun's bind error says only "Failed to listen at HOST"; the errno code is the reason an operator needs. */
export function listenReason(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  const why: Record<string, string> = {
    EADDRINUSE: "address already in use (EADDRINUSE)",
    EACCES: "permission denied (EACCES): ports below 1024 need root or CAP_NET_BIND_SERVICE",
    EADDRNOTAVAIL: "no such local address (EADDRNOTAVAIL)",
  };
  const msg = (e as Error).message ?? String(e);
  return typeof code === "string" ? (why[code] ?? `${msg} (${code})`) : msg;
}

export class SwitchError extends TcpvsError {
  declare readonly code: "listen_failed" | "bad_config";
  constructor(code: "listen_failed" | "bad_config", message: string) {
    super(code, message);
    this.name = "SwitchError";
  }
}

export interface SwitchOptions {
  cluster: Cluster;
  /** The scheduler of a pool (built over the pool's ServerState objects). */
  schedulerFor(pool: string): Scheduler | undefined;
  log?: Logger;
  /** Pool configs: server endpoints, sorry_server, scheduler_options.cookie. */
  pools?: Record<string, PoolConfig>;
  /** Resolution of every timeout, ms (default 100). */
  tickMs?: number;
  /** Idle keep-alive connections kept per server (default 128). */
  upstreamMaxIdle?: number;
  /** How long an idle server connection is kept, ms (default 30000). */
  upstreamIdleTimeout?: number;
  /** Cookie-insert persistence of a pool (from createPoolScheduling). */
  cookieFor?(pool: string): CookieInsert | undefined;
  /** Told of every finished request (metrics). */
  observe?(vs: string, pool: string | undefined, status: number, seconds: number, cut?: string): void;
  /** [global] max_held_bytes: bytes held before forwarding, over every connection (default 64 MiB). */
  maxHeldBytes?: number;
  /**
   * Interval of the repeated-fault WARN lines: server faults (default 10000 ms), and out of descriptors
   * or a connection limit reached (default 5000 ms).
   */
  faultLogIntervalMs?: number;
  /** SO_REUSEPORT on TCP listeners: several data-path workers share each port. */
  reusePort?: boolean;
  /** How many listeners share each port (the workers): what `worker_by_source` divides by. */
  reusePortGroup?: number;
  /** Pause listeners at a connection limit (accept-gate.ts; default true). */
  acceptGates?: boolean;
  /**
   * Where a data-path worker lists the descriptors its gates keep: the main thread closes them if the
   * worker dies, or the kernel would go on queueing connections on the duplicate for no one.
   */
  gateRecord?: GateRecord;
  /** Virtual server connection counts kept elsewhere (shared by workers): max_connections is checked there. */
  admission?: Admission;
  /** Rate-limit counters and connections per source kept elsewhere (shared by workers). */
  limitStore?: LimitStore;
}

/** Who counts a virtual server's connections against its max_connections when the switch does not. */
export interface Admission {
  acquire(vs: string, max: number): boolean;
  release(vs: string): void;
  /** Whether `max` connections are open now (0: no limit). */
  full(vs: string, max: number): boolean;
  /** See GlobalSlots (conn-ceiling.ts): a mark, and a call once a slot frees after it. */
  mark(): number;
  whenFreed(mark: number, then: () => void): void;
  /** See GlobalSlots.waiting: publish this worker's waiting clients, learn how many to make room for. */
  waiting(vs: string, mine: number): number;
  /** See GlobalSlots.live: publish this worker's open connections, learn the count over all. */
  live(mine: number): number;
}

interface Bound extends Listening {
  rt: VsRuntime;
  listeners: SocketListener<undefined>[];
  ports: number[];
  key: string;
}

/** A server known only by its address text (no pool config given): the config's own address parser. */
function parseAddress(text: string): Endpoint {
  const r = parseEndpoint(text);
  if (!r.ok) throw new SwitchError("bad_config", `Cannot use server address: ${r.error}`);
  return r.value;
}

/** A client socket and what it carries. */
type ClientSocket = Socket<ClientConn | TcpRelay | SniConn | ParkedConn | undefined>;

function listenKey(vs: VirtualServerConfig): string {
  return `${vs.mode}${vs.tls ? "+tls" : ""} ${vs.listen.map((e) => e.text).join(",")}`;
}

export class Switch implements SwitchServices {
  readonly cluster: Cluster;
  readonly log: Logger;
  private readonly schedFor: (pool: string) => Scheduler | undefined;
  private pools: Record<string, PoolConfig>;
  private readonly bound = new Map<string, Bound>();
  private readonly draining = new Set<Bound>();
  private readonly upstreams = new Map<string, Upstream>();
  /** The request path's lookup: by the server object, no key string built per request. */
  private readonly byServer = new WeakMap<ServerState, Upstream>();
  private readonly sorries = new Map<string, { server: ServerState; upstream: Upstream }>();
  private readonly poolTls = new Map<string, TLSOptions | undefined>();
  private clock = Date.now();
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly upOpts;
  readonly observe: SwitchServices["observe"];
  readonly cookieFor: SwitchServices["cookieFor"];
  private readonly faults: ServerFaults;
  readonly held: HeldBudget;
  readonly queues = new Queues();
  private readonly slowStart = new SlowStart();
  /** Passive health (pool `observe`); its `markDown` is the health monitor's, when one runs. */
  readonly passive: PassiveHealth;
  private readonly heldWarn: ThrottledWarn;
  private readonly listenOpts: Pick<
    SwitchOptions,
    "reusePort" | "reusePortGroup" | "acceptGates" | "gateRecord"
  >;
  /** Accepted over a shared max_connections on a gated listener: admitted first when a slot frees. */
  private readonly parked = new Set<ParkedConn>();
  readonly admission: Admission | undefined;
  readonly limitStore: LimitStore | undefined;
  /** Client connection limits: the global ceiling, each virtual server's, idle reaping, EMFILE backoff. */
  readonly ceiling: ConnCeiling;

  constructor(opts: SwitchOptions) {
    this.cluster = opts.cluster;
    this.listenOpts = {
      reusePort: opts.reusePort,
      reusePortGroup: opts.reusePortGroup,
      acceptGates: opts.acceptGates,
      gateRecord: opts.gateRecord,
    };
    this.admission = opts.admission;
    this.limitStore = opts.limitStore;
    this.log = (opts.log ?? defaultLog).child({ subsystem: "switch" });
    this.schedFor = opts.schedulerFor;
    this.observe = opts.observe;
    this.cookieFor = opts.cookieFor;
    this.pools = opts.pools ?? {};
    this.faults = new ServerFaults(this.log, { intervalMs: opts.faultLogIntervalMs ?? 10_000 });
    this.held = new HeldBudget(opts.maxHeldBytes ?? DEFAULT_MAX_HELD);
    this.passive = new PassiveHealth(this.cluster, this.log);
    this.held.onSpent = () => this.heldSpent();
    this.heldWarn = new ThrottledWarn(this.log, { intervalMs: opts.faultLogIntervalMs ?? 10_000 });
    this.ceiling = new ConnCeiling(() => this.bound.values(), this.log, opts.faultLogIntervalMs);
    const a = opts.admission;
    if (a)
      this.ceiling.global = {
        mark: () => a.mark(),
        full: (rt) => a.full(rt.cfg.name, rt.cfg.max_connections),
        parked: (rt) => this.parkedOf(rt),
        wait: (mark) => a.whenFreed(mark, this.slotFreed),
        waiting: (rt, mine) => a.waiting(rt.cfg.name, mine),
        live: (mine) => a.live(mine),
      };
    this.upOpts = {
      maxIdle: opts.upstreamMaxIdle ?? 128,
      idleTimeout: opts.upstreamIdleTimeout ?? 30_000,
      connectTimeout: 120_000, // backstop: each virtual server enforces its own
      now: () => this.clock,
      onLocalFailure: (code: string) => {
        if (code === "EMFILE" || code === "ENFILE") this.ceiling.fdShortage(code, Date.now());
      },
    };
    fdShortage(); // opens the probe's descriptor now, while there are plenty
    this.timer = setInterval(() => this.sweep(), opts.tickMs ?? 100);
    this.timer.unref?.();
  }

  // ---- services for connections ----

  now(): number {
    return this.clock;
  }

  schedulerFor(pool: string): Scheduler | undefined {
    return this.schedFor(pool);
  }

  poolConfig(pool: string): PoolConfig | undefined {
    return this.pools[pool];
  }

  upstream(pool: string, server: ServerState): Upstream {
    const hit = this.byServer.get(server);
    if (hit !== undefined) return hit;
    const key = `${pool}\u0000${server.id}`;
    let u = this.upstreams.get(key);
    if (!u || u.server !== server) {
      // The pool was rebuilt (reload): the old state's idle connections go with it.
      if (u) this.byServer.delete(u.server);
      u?.closeIdle();
      const cfg = this.pools[pool]?.server.find((s) => s.name === server.id);
      u = new Upstream(server, cfg?.address ?? parseAddress(server.address), this.upOpts);
      u.tls = this.tlsTo(pool);
      this.upstreams.set(key, u);
    }
    this.byServer.set(server, u);
    return u;
  }

  /** The pool's TLS options for Bun.connect, built once per config. */
  private tlsTo(pool: string): TLSOptions | undefined {
    if (!this.poolTls.has(pool)) {
      const t = this.pools[pool]?.tls;
      this.poolTls.set(pool, t ? poolTlsOptions(t) : undefined);
    }
    return this.poolTls.get(pool);
  }

  serverFault(vs: string, server: ServerState, reason: string): void {
    this.faults.report(vs, server, reason);
  }

  serverError(server: ServerState): void {
    const o = this.pools[server.pool]?.observe;
    if (o !== undefined) this.passive.error(server, o, this.clock);
  }

  clientStall(vs: string, server: ServerState, reason: string): void {
    this.faults.clientStalled(vs, server, reason);
  }

  sorry(pool: string): { server: ServerState; upstream: Upstream } | undefined {
    const ep = this.pools[pool]?.sorry_server;
    if (!ep) return undefined;
    let s = this.sorries.get(pool);
    // The cluster's sorry server holds the counters (shared over workers); a cluster built without it
    // (unit tests) gets one of the switch's own.
    const kept = this.cluster.pools.get(pool)?.sorry;
    const own = kept?.address === ep.text ? kept : undefined;
    if (!s || s.upstream.endpoint.text !== ep.text || (own && s.server !== own)) {
      const server = own ?? new ServerState(pool, "sorry_server", ep.text, 1);
      s = { server, upstream: new Upstream(server, ep, this.upOpts) };
      this.sorries.set(pool, s);
    }
    return s;
  }

  // ---- lifecycle ----

  /** Open the listeners of one virtual server. */
  async listen(vs: VirtualServerConfig): Promise<void> {
    if (this.bound.has(vs.name))
      throw new SwitchError("bad_config", `Rename virtual server "${vs.name}": already listening`);
    const rt = new VsRuntime(vs, this);
    const b: Bound = { rt, listeners: [], ports: [], key: listenKey(vs), gates: [] };
    try {
      for (const ep of vs.listen) {
        const l = this.open(rt, ep);
        b.listeners.push(l);
        const port = (l as unknown as { port?: number }).port ?? 0;
        b.ports.push(port);
        b.gates.push(this.gate(l, ep));
      }
    } catch (e) {
      for (const g of b.gates) g?.restore();
      for (const l of b.listeners) l.stop(true);
      const where = vs.listen.map((e) => e.text).join(", ");
      throw new SwitchError(
        "listen_failed",
        `Cannot listen on "${where}" for "${vs.name}": ${listenReason(e)}`,
      );
    }
    this.bound.set(vs.name, b);
    this.steer(b);
    this.log.info("listening", {
      vs: vs.name,
      mode: vs.mode,
      listen: vs.listen.map((e) => e.text).join(","),
    });
  }

  private open(rt: VsRuntime, ep: Endpoint): SocketListener<undefined> {
    const tcp = rt.cfg.mode === "tcp";
    const handlers = {
      open: (s: ClientSocket) => {
        try {
          this.accept(rt, s, tcp);
        } catch (e) {
          this.bug(e, s);
        }
      },
      data: (s: ClientSocket, d: Buffer) => {
        try {
          s.data?.onData(d);
        } catch (e) {
          this.bug(e, s);
        }
      },
      drain: (s: ClientSocket) => {
        try {
          s.data?.onDrain();
        } catch (e) {
          this.bug(e, s);
        }
      },
      end: (s: ClientSocket) => {
        try {
          s.data?.onEof();
        } catch (e) {
          this.bug(e, s);
        }
      },
      close: (s: ClientSocket) => {
        if (s.data === undefined) return;
        // Never admitted: no slot to give back.
        if (s.data instanceof ParkedConn) return s.data.onClose();
        try {
          s.data.onClose();
        } catch (e) {
          this.bug(e, undefined);
        }
        this.ceiling.closed(this.clock);
      },
      error: () => {},
    };
    const tls = rt.tls ? tlsListen(rt, this.cluster) : undefined;
    if (tls) Object.assign(handlers, tls.handlers);
    const l =
      ep.kind === "unix"
        ? Bun.listen<ClientSocket["data"]>({
            unix: ep.path,
            socket: handlers,
            allowHalfOpen: true,
            tls: tls?.options,
          })
        : Bun.listen<ClientSocket["data"]>({
            hostname: ep.host,
            port: ep.port,
            socket: handlers,
            allowHalfOpen: true,
            tls: tls?.options,
            // Bun honours it on listen too (SO_REUSEPORT); its types declare it on connect only.
            ...({ reusePort: this.listenOpts.reusePort === true } as object),
          });
    return l as unknown as SocketListener<undefined>;
  }

  /** The way to pause a listener (see accept-gate.ts); undefined: over a limit, accept and refuse. */
  private gate(l: SocketListener<undefined>, ep: Endpoint): Gate | undefined {
    if (this.listenOpts.acceptGates === false) return undefined;
    const fd = (l as unknown as { fd?: number }).fd;
    const g =
      fd === undefined ? undefined : AcceptGate.find(fd, ep.kind !== "unix", this.listenOpts.gateRecord);
    if (!g)
      this.log.warn("Cannot pause accepting on this listener: over a connection limit, new ones get 503", {
        listen: ep.text,
      });
    return g;
  }

  /** Set the global ceiling on client connections (from the descriptor limit; see the daemon). */
  setCeiling(max: number): void {
    this.ceiling.max = max > 0 ? max : Number.POSITIVE_INFINITY;
    this.ceiling.sync(Date.now());
  }

  private accept(rt: VsRuntime, s: ClientSocket, tcp: boolean): void {
    // With data-path workers, a virtual server's max_connections is one count over all of them.
    const a = this.admission;
    const ok = this.ceiling.admit(rt) && (a === undefined || a.acquire(rt.cfg.name, rt.cfg.max_connections));
    if (!ok && a !== undefined && !rt.draining && this.gated(rt)) {
      // Another worker took the last slot since this one looked: wait, as in the accept queue.
      this.cluster.count("accept.parked");
      const p = new ParkedConn(rt, s as Socket<unknown>, tcp, (x) => this.parked.delete(x));
      this.parked.add(p);
      s.data = p;
      this.ceiling.sync(Date.now());
      return;
    }
    if (!ok) {
      this.cluster.count("reject.max_connections");
      if (!tcp) s.write(errorAnswer(rt.cfg.error_pages, 503, "max_connections"));
      s.end();
      return;
    }
    this.admitted(rt, s, tcp);
  }

  /** Whether every listener of `rt` can pause (its connections over a limit can wait unread). */
  private gated(rt: VsRuntime): boolean {
    const b = this.bound.get(rt.cfg.name);
    return b !== undefined && b.rt === rt && b.gates.every((g) => g !== undefined);
  }

  private parkedOf(rt: VsRuntime): number {
    let n = 0;
    for (const p of this.parked) if (p.rt === rt) n++;
    return n;
  }

  /** A slot freed in some worker: admit parked connections first, then reopen paused listeners. */
  private readonly slotFreed = (): void => {
    const a = this.admission;
    for (const p of this.parked) {
      if (p.rt.draining) {
        p.sock.end();
        continue;
      }
      // The sweep closes idle connections for parked ones (they count as waiting): none here.
      if (!this.ceiling.room(p.rt)) continue;
      if (a !== undefined && !a.acquire(p.rt.cfg.name, p.rt.cfg.max_connections)) continue;
      this.parked.delete(p);
      const s = p.sock as ClientSocket;
      s.data = undefined;
      s.resume();
      const c = this.admitted(p.rt, s, p.tcp);
      for (const d of p.chunks) c?.onData(d);
      if (p.eof) c?.onEof();
    }
    this.ceiling.sync(Date.now());
  };

  /** The rest of accept(), once the connection holds its slots. */
  private admitted(
    rt: VsRuntime,
    s: ClientSocket,
    tcp: boolean,
  ): ClientConn | TcpRelay | SniConn | undefined {
    const refused = tcp ? undefined : rt.admit(s.remoteAddress);
    if (refused !== undefined) {
      this.cluster.count(refused);
      // Not in rt.conns: the shared slot is given back here.
      this.admission?.release(rt.cfg.name);
      s.terminate();
      return undefined;
    }
    s.setNoDelay(true);
    const c = rt.sni
      ? new SniConn(rt, s as Socket<SniConn | TcpRelay>)
      : tcp
        ? new TcpRelay(rt, s as Socket<TcpRelay>)
        : new ClientConn(rt, s as Socket<ClientConn>);
    s.data = c;
    rt.conns.add(c);
    this.ceiling.opened(rt, this.clock);
    // While the held-bytes budget is spent, a new client waits its turn before its first read.
    if (!tcp) this.held.admit(c as ClientConn);
    return c;
  }

  /** Client connections open now, over every virtual server (and those still draining). */
  connectionCount(): number {
    let n = 0;
    for (const b of this.bound.values()) n += b.rt.conns.size;
    for (const b of this.draining) n += b.rt.conns.size;
    return n;
  }

  /** Figures for the metrics: the held-bytes budget. */
  gauges(): Array<{ name: string; help: string; value: number }> {
    const h = this.held;
    return [
      {
        name: "tcpvs_held_bytes",
        help: "Request bytes held before forwarding, all connections.",
        value: h.used,
      },
      { name: "tcpvs_held_bytes_max", help: "[global] max_held_bytes.", value: h.max },
      {
        name: "tcpvs_held_waiting_connections",
        help: "Client connections not read until held bytes free up.",
        value: h.waitingCount,
      },
    ];
  }

  /** The held-bytes budget ran out: every client whose next bytes would be held stops being read. */
  private heldSpent(): void {
    this.cluster.count("held.spent");
    this.heldWarn.warn(
      "held",
      "Request bytes held before forwarding reached [global] max_held_bytes: clients wait to be read",
      { max_held_bytes: this.held.max },
      `${this.held.used} bytes held`,
    );
    for (const b of this.bound.values()) for (const c of b.rt.conns) c.heldSpent?.();
    for (const b of this.draining) for (const c of b.rt.conns) c.heldSpent?.();
  }

  /** A defect must cost one connection, not the process: log it and cut that connection. */
  private bug(e: unknown, s: { terminate(): void } | undefined): void {
    this.cluster.count("switch.internal_error");
    this.log.error("Report this bug: a connection handler failed", {
      error: e instanceof Error ? e.stack : String(e),
    });
    try {
      s?.terminate();
    } catch {}
  }

  /** Actual ports of a virtual server's listeners (useful with port 0). */
  ports(name: string): number[] {
    return this.bound.get(name)?.ports ?? [];
  }

  /**
   * Apply a new list of virtual servers: unchanged listeners keep running with the new settings, new
   * ones open, removed ones stop accepting and their connections finish their current exchange.
   */
  async reload(list: VirtualServerConfig[], pools?: Record<string, PoolConfig>): Promise<void> {
    if (pools) {
      this.pools = pools;
      this.poolTls.clear();
      for (const [key, u] of this.upstreams) {
        const [pool, id] = key.split("\u0000") as [string, string];
        const cfg = pools[pool]?.server.find((s) => s.name === id);
        if (!cfg) {
          u.closeIdle();
          this.upstreams.delete(key);
          this.byServer.delete(u.server);
        } else if (cfg.address.text !== u.endpoint.text) {
          u.closeIdle();
          u.endpoint = cfg.address;
        }
        if (cfg) {
          // New TLS settings (a renewed client certificate, another CA) serve new connections only.
          const tls = this.tlsTo(pool);
          if (JSON.stringify(tls) !== JSON.stringify(u.tls)) {
            u.closeIdle();
            u.tls = tls;
          }
        }
      }
    }
    const wanted = new Map(list.map((v) => [v.name, v]));
    for (const [name, b] of this.bound) {
      const v = wanted.get(name);
      if (v && listenKey(v) === b.key) {
        const tlsBefore = b.rt.tls;
        b.rt.update(v);
        wanted.delete(name);
        // Bun.listen keeps its first certificate (the one for clients without SNI): a new one
        // means new listeners; the connections of the old ones go on.
        if (tlsBefore && b.rt.tls && !tlsBefore.sameListener(b.rt.tls)) this.reopen(b);
        this.steer(b);
        continue;
      }
      this.retire(name, b);
    }
    for (const v of wanted.values()) await this.listen(v);
  }

  /**
   * worker_by_source: set or clear the source-address program on each TCP port's reuseport group. It
   * is the group's, so every worker doing it agrees, and a reload that changes the key applies it.
   */
  private steer(b: Bound): void {
    const n = this.listenOpts.reusePortGroup ?? 1;
    if (this.listenOpts.reusePort !== true || n < 2) return;
    const on = b.rt.cfg.worker_by_source;
    for (const [i, l] of b.listeners.entries()) {
      const ep = b.rt.cfg.listen[i];
      const fd = (l as unknown as { fd?: number }).fd;
      if (ep?.kind !== "inet" || fd === undefined) continue;
      const why = on ? steerBySource(fd, n) : unsteer(fd);
      if (why !== undefined)
        this.log.warn(
          on
            ? "Cannot steer connections to workers by source address: the kernel's hash spreads them"
            : "Cannot stop steering connections to workers by source address: a reload asked for the kernel's hash",
          {
            listen: ep.text,
            error: why,
          },
        );
    }
  }

  private reopen(b: Bound): void {
    // The gate keeps a second descriptor of the listening socket: give it back first, or the port
    // stays bound.
    for (const g of b.gates) g?.restore();
    for (const l of b.listeners) l.stop(false);
    b.listeners = [];
    b.gates = [];
    try {
      // Port 0 (tests) reopens the port the first listener got.
      for (const [i, ep] of b.rt.cfg.listen.entries()) {
        const at = ep.kind === "inet" && ep.port === 0 ? { ...ep, port: b.ports[i] ?? 0 } : ep;
        b.listeners.push(this.open(b.rt, at));
        b.gates.push(this.gate(b.listeners[b.listeners.length - 1]!, ep));
      }
    } catch (e) {
      // Something took the port in the moment between: the reload fails and the daemon restores.
      const where = b.rt.cfg.listen.map((e) => e.text).join(", ");
      throw new SwitchError(
        "listen_failed",
        `Cannot listen again on "${where}" for "${b.rt.cfg.name}": ${listenReason(e)}`,
      );
    }
  }

  private retire(name: string, b: Bound): void {
    this.bound.delete(name);
    // The real listening socket back in its place first: Bun closes what it finds there.
    for (const g of b.gates) g?.restore();
    for (const l of b.listeners) l.stop(false);
    b.rt.draining = true;
    for (const p of this.parked) if (p.rt === b.rt) p.sock.end();
    for (const c of b.rt.conns) c.drain();
    if (b.rt.conns.size > 0) this.draining.add(b);
    this.log.info("stopped listening", { vs: name });
  }

  /** Stop accepting, let exchanges in flight finish for up to graceMs, then cut the rest. */
  async close(graceMs = 0): Promise<void> {
    for (const [name, b] of [...this.bound]) this.retire(name, b);
    const until = Date.now() + graceMs;
    const live = () => {
      let n = 0;
      for (const b of this.draining) n += b.rt.conns.size;
      return n;
    };
    while (live() > 0 && Date.now() < until) await Bun.sleep(Math.min(20, Math.max(1, until - Date.now())));
    for (const b of this.draining) for (const c of [...b.rt.conns]) c.destroy();
    this.draining.clear();
    for (const u of this.upstreams.values()) u.closeAll();
    for (const s of this.sorries.values()) s.upstream.closeAll();
    clearInterval(this.timer);
    this.faults.close();
    this.heldWarn.close();
  }

  /** Connections open on a virtual server (including a retired one still draining). */
  connections(name: string): number {
    const b = this.bound.get(name);
    if (b) return b.rt.conns.size;
    for (const d of this.draining) if (d.rt.cfg.name === name) return d.rt.conns.size;
    return 0;
  }

  /** Connections the switch opened to servers so far, per "pool/server". */
  serverConnectionsOpened(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const u of this.upstreams.values()) out[`${u.server.pool}/${u.server.id}`] = u.opened;
    return out;
  }

  private sweep(): void {
    const now = Date.now();
    this.clock = now;
    const check = (conns: Set<LiveConn>) => {
      for (const c of conns) if (c.deadline !== 0 && c.deadline <= now) c.onDeadline(now);
    };
    for (const b of this.bound.values()) check(b.rt.conns);
    for (const b of this.draining) {
      check(b.rt.conns);
      if (b.rt.conns.size === 0) this.draining.delete(b);
    }
    this.slowStart.tick(this.cluster, (p) => this.pools[p]?.slow_start ?? 0, now);
    this.queues.wakeAll();
    this.passive.tick(now);
    if (this.parked.size > 0) this.slotFreed();
    for (const u of this.upstreams.values()) u.sweep(now);
    for (const s of this.sorries.values()) s.upstream.sweep(now);
    // Bun retries a failed accept() at once, forever: out of descriptors, stop the listeners instead.
    const short = fdShortage();
    if (short !== undefined) this.ceiling.fdShortage(short, now);
    this.ceiling.tick(now);
  }
}
