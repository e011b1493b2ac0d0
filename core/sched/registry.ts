// Scheduler name -> definition, option validation for the config validator, and the one entry point
// the switch uses to build a pool's scheduler with persistence wrapped around it.

import { chbl } from "./chbl.ts";
import { type CookieInsert, CookiePersistence } from "./cookie-persistence.ts";
import { dh } from "./dh.ts";
import { SchedulerError } from "./errors.ts";
import { fo } from "./fo.ts";
import { parseGranularity } from "./ip-key.ts";
import { lblc } from "./lblc.ts";
import { lblcr } from "./lblcr.ts";
import { lc } from "./lc.ts";
import { mh } from "./mh.ts";
import { nq } from "./nq.ts";
import { boolOption, numberOption, type OptionSpec, type SchedulerDef, validateOptions } from "./options.ts";
import { ovf } from "./ovf.ts";
import { peakEwma } from "./peak-ewma.ts";
import { Persistence, type PersistenceOptions } from "./persistence.ts";
import { rr } from "./rr.ts";
import { sed } from "./sed.ts";
import { sh } from "./sh.ts";
import { twos } from "./twos.ts";
import type { SchedServer, Scheduler, SchedulerEnv } from "./types.ts";
import { wlc } from "./wlc.ts";
import { swrr } from "./swrr.ts";
import { wrr } from "./wrr.ts";

const DEFS: readonly SchedulerDef[] = [
  rr,
  wrr,
  swrr,
  lc,
  wlc,
  sed,
  nq,
  fo,
  ovf,
  sh,
  dh,
  lblc,
  lblcr,
  mh,
  twos,
  chbl,
  peakEwma,
];

const BY_NAME = new Map(DEFS.map((d) => [d.name, d]));

export const DEFAULT_SCHEDULER = "wlc";

/** Every valid `scheduler = "NAME"`. */
export const schedulerNames: readonly string[] = DEFS.map((d) => d.name);

/** Options every scheduler accepts: they configure the persistence wrappers. */
export const COMMON_OPTIONS: Record<string, OptionSpec> = {
  cookie: {
    type: "string",
    pattern: /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/,
    doc: "insert and honour a persistence cookie of this name (HTTP mode)",
  },
  persistence_table_size: {
    type: "number",
    default: 65536,
    min: 1,
    max: 1 << 24,
    integer: true,
    doc: "most client addresses remembered by persistence_timeout",
  },
  expire_quiescent: {
    type: "boolean",
    default: false,
    doc: "persisted clients of a weight-0 server are rescheduled instead of kept",
  },
};

export function getSchedulerDef(name: string): SchedulerDef | undefined {
  return BY_NAME.get(name);
}

/** Error messages for `scheduler = name` with `options`; empty when valid. */
export function validateSchedulerOptions(name: string, options: Record<string, unknown>): string[] {
  const def = BY_NAME.get(name);
  if (!def) return [`Use one of ${schedulerNames.join(", ")} for scheduler: got "${name}"`];
  return validateOptions(name, { ...def.options, ...COMMON_OPTIONS }, options);
}

/** Error messages for a pool's persistence settings; empty when valid. */
export function validatePersistence(timeoutMs: number, granularity: string): string[] {
  const errors: string[] = [];
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
    errors.push(`Set persistence_timeout to 0 (off) or a positive duration: got "${timeoutMs}"`);
  }
  const g = parseGranularity(granularity);
  if (typeof g === "string") errors.push(g);
  return errors;
}

/** Build one scheduler by name, no wrappers. Throws SchedulerError on a bad name or options. */
export function createScheduler(
  name: string,
  servers: readonly SchedServer[],
  options: Record<string, unknown>,
  env: SchedulerEnv,
): Scheduler {
  const def = BY_NAME.get(name);
  const errors = validateSchedulerOptions(name, options);
  if (!def) throw new SchedulerError("unknown_scheduler", errors[0]!);
  if (errors.length > 0) throw new SchedulerError("bad_scheduler_options", errors.join("; "));
  return def.create(servers, options, env);
}

/** The pool fields that decide scheduling (a subset of PoolConfig). */
export interface PoolSchedulingConfig {
  scheduler: string;
  scheduler_options: Record<string, unknown>;
  persistence_timeout: number;
  persistence_granularity: string;
}

export interface PoolScheduling {
  /** Call pick() per connection (TCP) or request (HTTP), update() on any server change. */
  scheduler: Scheduler;
  /** Present when the pool inserts a persistence cookie: the switch sets it on responses. */
  cookie: CookieInsert | undefined;
}

export const systemEnv: SchedulerEnv = { now: () => performance.now(), random: Math.random };

/**
 * Where a pool's scheduling keeps state that several data-path workers must share (core/sched/
 * shared-sched.ts); absent, every piece is the plain in-thread one.
 */
export interface SchedulingParts {
  /** The algorithm itself, or undefined for the plain one. */
  algorithm?(
    name: string,
    servers: readonly SchedServer[],
    env: SchedulerEnv,
    options: Record<string, unknown>,
  ): Scheduler | undefined;
  persistence?(
    inner: Scheduler,
    servers: readonly SchedServer[],
    env: SchedulerEnv,
    opts: PersistenceOptions,
  ): Scheduler;
  /** Wrapped around everything (the shared max_connections reservation). */
  outer?(s: Scheduler, servers: readonly SchedServer[]): Scheduler;
}

/** A pool's scheduler with source-address and cookie persistence wrapped around it as configured. */
export function createPoolScheduling(
  pool: PoolSchedulingConfig,
  servers: readonly SchedServer[],
  env: SchedulerEnv = systemEnv,
  parts: SchedulingParts = {},
): PoolScheduling {
  const options = pool.scheduler_options;
  const granularity = parseGranularity(pool.persistence_granularity);
  if (typeof granularity === "string") throw new SchedulerError("bad_scheduler_options", granularity);
  let scheduler = createScheduler(pool.scheduler, servers, options, env);
  scheduler = parts.algorithm?.(pool.scheduler, servers, env, options) ?? scheduler;
  const expireQuiescent = boolOption(options, "expire_quiescent", false);
  if (pool.persistence_timeout > 0) {
    const opts: PersistenceOptions = {
      timeout: pool.persistence_timeout,
      granularity,
      maxEntries: numberOption(options, "persistence_table_size", 65536),
      expireQuiescent,
    };
    scheduler = parts.persistence
      ? parts.persistence(scheduler, servers, env, opts)
      : new Persistence(scheduler, servers, env, opts);
  }
  let cookie: CookieInsert | undefined;
  if (typeof options["cookie"] === "string") {
    const wrapped = new CookiePersistence(scheduler, servers, options["cookie"], expireQuiescent);
    cookie = wrapped.insert;
    scheduler = wrapped;
  }
  if (parts.outer) scheduler = parts.outer(scheduler, servers);
  return { scheduler, cookie };
}
