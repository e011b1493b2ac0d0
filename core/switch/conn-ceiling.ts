// How many client connections the switch holds, and what it does near the limits: the global ceiling
// (sized from RLIMIT_NOFILE) and each virtual server's max_connections. Over a limit, listeners stop
// accepting and new connections wait in the kernel's accept queue (HAProxy's maxconn), instead of being
// accepted and refused. Near a limit, the oldest idle keep-alive connections are closed to make room
// (nginx reuses idle keep-alive slots the same way), so an idle flood cannot lock out new clients.
// Out of descriptors (EMFILE/ENFILE), every listener stops for BACKOFF_MS: Bun would otherwise retry
// the failed accept() in a loop. Faults are logged once per interval with a count.

import type { Logger } from "../log/logger.ts";
import type { VsRuntime } from "./runtime.ts";

/** A listening socket that can stop and restart accepting (core/sys/accept-gate.ts). */
export interface Gate {
  readonly paused: boolean;
  pause(): boolean;
  resume(): boolean;
  /** Connections waiting to be accepted; -1 when unknown. */
  backlog(): number;
  /** Accept again for good, before the listener is closed. */
  restore(): void;
}

/** A client connection between requests: nothing in flight, closing it loses nothing. */
export interface IdleConn {
  idleSince: number;
  /** Close it now to free its slot. */
  reap(): void;
}

/**
 * The counts data-path workers share (switch.ts's Admission): each virtual server's max_connections and
 * the ceiling's open connections. Listeners pause while a shared count is full and look again as soon
 * as a connection ends in any worker.
 */
export interface GlobalSlots {
  /** Taken before looking at the counts, so a slot freed in between is not missed. */
  mark(): number;
  /** The shared count is full. */
  full(rt: VsRuntime): boolean;
  /** rt's connections accepted over the shared count, waiting for a slot (parked-conn.ts). */
  parked(rt: VsRuntime): number;
  /** Publish this worker's open connections; returns those of every worker (the ceiling's count). */
  live(mine: number): number;
  /** Look again (sync) once a slot frees anywhere after `mark`. */
  wait(mark: number): void;
  /**
   * Tell the other workers how many of rt's clients wait in this one's paused queues; returns how many
   * of rt's idle connections this worker should close for the clients waiting in theirs.
   */
  waiting(rt: VsRuntime, mine: number): number;
}

export interface Listening {
  rt: VsRuntime;
  /** One per listening socket; undefined where pausing is not possible (accept-then-refuse). */
  gates: Array<Gate | undefined>;
}

/** How long accepting stops after running out of descriptors. */
export const BACKOFF_MS = 1000;
/** The share of a limit, at the top, where idle keep-alive connections start to be closed. */
export const NEAR = 0.05;
/** Idle connections closed per tick for clients waiting in an accept queue. */
const REAP_PER_TICK = 64;
/**
 * Only a connection idle this long is closed to make room: one that has just had its answer is
 * likely sending its next request (a busy keep-alive client), and closing it would race that request.
 * A newcomer waits at most this long in the accept queue for an idle flood to give way.
 */
export const REAP_MIN_IDLE_MS = 1000;

/** How close to `max` idle connections start to be closed: 5%, at least 1. */
export function nearMargin(max: number): number {
  return Number.isFinite(max) ? Math.max(1, Math.floor(max * NEAR)) : 0;
}

/** Counts events and writes one line per interval with the count since the last line. */
export class EveryInterval {
  private pending = 0;
  private next = 0;
  constructor(
    private readonly intervalMs: number,
    private readonly write: (count: number) => void,
  ) {}

  hit(now: number): void {
    this.pending++;
    this.flush(now);
  }

  flush(now: number): void {
    if (this.pending === 0 || now < this.next) return;
    this.write(this.pending);
    this.pending = 0;
    this.next = now + this.intervalMs;
  }
}

export class ConnCeiling {
  /** Client connections allowed at once across every virtual server. */
  max = Number.POSITIVE_INFINITY;
  /** Client connections open now (including those of retired listeners still draining). */
  live = 0;
  /** Accepting stops until then (ms) after running out of descriptors. */
  private backoffUntil = 0;
  private readonly short: EveryInterval;
  private readonly full: EveryInterval;
  private shortCode = "";
  /** Connections open when a limit was last reached (the line may be written later). */
  private fullAt = 0;
  /** Told of each idle connection closed to make room. */
  onReap: () => void = () => {};
  /** Counts shared by data-path workers, when there are several. */
  global: GlobalSlots | undefined;

  constructor(
    private readonly listening: () => Iterable<Listening>,
    log: Logger,
    intervalMs = 5000,
  ) {
    this.short = new EveryInterval(intervalMs, (count) =>
      log.warn("Out of file descriptors: stopped accepting for a moment", {
        reason: this.shortCode,
        count,
        backoff_ms: BACKOFF_MS,
        fix: "raise LimitNOFILE (ulimit -n) or lower [global] max_connections",
      }),
    );
    this.full = new EveryInterval(intervalMs, (count) =>
      log.warn("Connection limit reached: new connections wait in the accept queue", {
        live: this.fullAt,
        max_connections: Number.isFinite(this.max) ? this.max : "none",
        count,
      }),
    );
  }

  /** May this connection stay (false: refuse it; only where its listener cannot pause)? */
  admit(rt: VsRuntime): boolean {
    if (rt.draining) return false;
    if (!this.room(rt)) {
      // Only a listener without a gate (or a worker that lost a race) gets here past a limit.
      this.reapFor(rt, 1, rt.svc.now());
      return false;
    }
    return true;
  }

  /** Whether rt's next connection fits under the ceiling and rt's own limit (nothing closed to make room). */
  room(rt: VsRuntime): boolean {
    return this.total() < this.max && rt.conns.size < rt.cfg.max_connections;
  }

  /** Connections open now: over every worker when they share the count (GlobalSlots.live). */
  private total(): number {
    return this.global ? this.global.live(this.live) : this.live;
  }

  /** A connection was accepted. */
  opened(rt: VsRuntime, now: number): void {
    this.live++;
    // Near a limit, each new connection costs the oldest idle one: the level stays below the top.
    const vsMax = rt.cfg.max_connections;
    if (this.total() > this.max - nearMargin(this.max) || rt.conns.size > vsMax - nearMargin(vsMax))
      this.reapFor(rt, 1, now);
    this.sync(now);
  }

  closed(now: number): void {
    this.live--;
    this.sync(now);
  }

  /** A socket could not be had (accept or connect): stop accepting for BACKOFF_MS. */
  fdShortage(code: string, now: number): void {
    this.shortCode = code;
    this.backoffUntil = now + BACKOFF_MS;
    this.short.hit(now);
    this.sync(now);
  }

  /** The sweep tick: end a backoff, make room for clients queued behind a full listener. */
  tick(now: number): void {
    this.short.flush(now);
    this.full.flush(now);
    this.sync(now);
    for (const l of this.listening()) {
      let waiting = this.global?.parked(l.rt) ?? 0;
      for (const g of l.gates) if (g?.paused) waiting += Math.max(0, g.backlog());
      const elsewhere = this.global?.waiting(l.rt, waiting) ?? 0;
      // With a count shared by workers, the slot to free is this virtual server's, in any worker; at
      // the shared ceiling, any idle connection of this worker frees one.
      const shared = this.global?.full(l.rt) === true;
      if (waiting > 0) this.reapFor(l.rt, Math.min(waiting, REAP_PER_TICK), now, shared || undefined);
      if (elsewhere > 0 && (shared || this.total() >= this.max))
        this.reapFor(l.rt, Math.min(elsewhere, REAP_PER_TICK), now, shared || undefined);
    }
  }

  /** Pause or resume each listener to match the limits. */
  sync(now: number): void {
    const backoff = now < this.backoffUntil;
    const globalFull = this.total() >= this.max;
    const mark = this.global?.mark() ?? 0;
    let waitGlobal = false;
    for (const l of this.listening()) {
      // Parked connections go first: the listener stays paused until they are in.
      const shared = this.global !== undefined && (this.global.full(l.rt) || this.global.parked(l.rt) > 0);
      if ((shared || (globalFull && !backoff)) && l.gates.some((g) => g !== undefined)) waitGlobal = true;
      const stop =
        backoff || globalFull || l.rt.draining || l.rt.conns.size >= l.rt.cfg.max_connections || shared;
      for (const g of l.gates) {
        if (!g || g.paused === stop) continue;
        if (stop) {
          g.pause();
          if (!backoff) {
            this.fullAt = this.total();
            this.full.hit(now);
          }
        } else g.resume();
      }
    }
    if (waitGlobal) this.global?.wait(mark);
  }

  /**
   * Close up to `n` of the oldest idle connections (idle for REAP_MIN_IDLE_MS at least) that free a
   * slot for `rt`: its own when it is near its max_connections, the oldest anywhere otherwise.
   */
  private reapFor(
    rt: VsRuntime,
    n: number,
    now: number,
    ownFirst = rt.conns.size > rt.cfg.max_connections - nearMargin(rt.cfg.max_connections),
  ): void {
    for (let i = 0; i < n; i++) {
      const c = ownFirst ? first(rt.idle) : this.oldestIdle();
      // Oldest first: when this one is too fresh, so are the rest.
      if (!c || now - c.idleSince < REAP_MIN_IDLE_MS) return;
      c.reap();
      this.onReap();
    }
  }

  private oldestIdle(): IdleConn | undefined {
    let best: IdleConn | undefined;
    for (const l of this.listening()) {
      const c = first(l.rt.idle);
      if (c && (!best || c.idleSince < best.idleSince)) best = c;
    }
    return best;
  }
}

function first<T>(s: Set<T>): T | undefined {
  for (const x of s) return x;
  return undefined;
}
