// Test fixtures: plain servers, a controllable env, and request contexts.

import type { PickContext, SchedServer, SchedulerEnv } from "../../core/sched/types.ts";

export function server(id: string, weight = 1, extra: Partial<SchedServer> = {}): SchedServer {
  return { id, up: true, weight, backup: false, maxConnections: 0, active: 0, inflight: 0, ...extra };
}

export function servers(weights: readonly number[], prefix = "s"): SchedServer[] {
  return weights.map((w, i) => server(`${prefix}${i}`, w));
}

/** mulberry32: small seeded PRNG so "random" tests are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface TestEnv extends SchedulerEnv {
  advance(ms: number): void;
}

export function testEnv(seed = 1, start = 1_000_000): TestEnv {
  let t = start;
  const random = prng(seed);
  return { now: () => t, random, advance: (ms) => (t += ms) };
}

export interface CtxOptions {
  sourceIp?: string;
  sourcePort?: number;
  hashKey?: string;
  host?: string;
  uri?: string;
  headers?: Record<string, string>;
  cookies?: Record<string, string>;
}

export function ctx(o: CtxOptions = {}): PickContext {
  const headers = o.headers ?? {};
  const cookies = o.cookies ?? {};
  const c: PickContext = { sourceIp: o.sourceIp ?? "192.0.2.1", sourcePort: o.sourcePort ?? 40000 };
  if (o.hashKey !== undefined) c.hashKey = o.hashKey;
  if (o.host !== undefined || o.uri !== undefined || o.headers || o.cookies) {
    c.http = {
      method: "GET",
      host: o.host ?? "example.test",
      uri: o.uri ?? "/",
      header: (name) => headers[name.toLowerCase()],
      cookie: (name) => cookies[name],
    };
  }
  return c;
}

/** A distinct client and URL for pick number `i` (random but reproducible via `rand`). */
export function randomCtx(rand: () => number): PickContext {
  const a = Math.floor(rand() * 256);
  const b = Math.floor(rand() * 256);
  const c = Math.floor(rand() * 256);
  return ctx({
    sourceIp: `10.${a}.${b}.${c}`,
    sourcePort: 1024 + Math.floor(rand() * 60000),
    host: "example.test",
    uri: `/obj/${Math.floor(rand() * 1e9)}`,
  });
}

/** Share of each server in `counts` relative to the total. */
export function shares(list: readonly SchedServer[], counts: Map<SchedServer | undefined, number>): number[] {
  let total = 0;
  for (const v of counts.values()) total += v;
  return list.map((s) => (counts.get(s) ?? 0) / total);
}
