// The one interface every scheduler implements (one file per algorithm under core/sched/), and the
// view of a server a scheduler may read. The switch owns the counters; schedulers only read them.

export interface SchedServer {
  /** Unique within the pool, stable across reloads (the server's name). */
  readonly id: string;
  /** Healthy and administratively enabled. A scheduler never picks a server that is not up. */
  up: boolean;
  /** Effective weight; 0 = quiescent: no new connections or requests, existing ones finish. */
  weight: number;
  /** Serves only while every primary (non-backup) server is down. */
  backup: boolean;
  /** 0 = unlimited. A server at its limit is skipped. */
  maxConnections: number;
  /** Active connections (TCP mode) or active server-side exchanges (HTTP mode), kept by the switch. */
  active: number;
  /** Requests sent and not yet answered, kept by the switch. */
  inflight: number;
}

/** What a scheduler may look at to choose. Built once per request/connection by the switch. */
export interface PickContext {
  /** Client IP address as text ("192.0.2.1", "2001:db8::1"). */
  sourceIp: string;
  sourcePort: number;
  /** Key for hashing schedulers: a rule's capture group, or one the switch computed. */
  hashKey?: string;
  /** Present in HTTP mode. */
  http?: {
    method: string;
    host: string;
    /** Path with query. */
    uri: string;
    header(name: string): string | undefined;
    cookie(name: string): string | undefined;
  };
}

export interface Scheduler {
  readonly name: string;
  /** Choose a server; undefined when no server is eligible. Must not allocate on the common path. */
  pick(ctx: PickContext): SchedServer | undefined;
  /** The server list, an up/down state or a weight changed. Rebuild only what must change. */
  update(): void;
  /** Optional feedback when an exchange with `server` ends (latency-aware schedulers). */
  done?(server: SchedServer, latencyMs: number, ok: boolean): void;
}

export interface SchedulerEnv {
  /** Injected clock in milliseconds. */
  now(): number;
  /** Injected randomness in [0, 1). */
  random(): number;
}

export type SchedulerFactory = (
  servers: readonly SchedServer[],
  options: Record<string, unknown>,
  env: SchedulerEnv,
) => Scheduler;
