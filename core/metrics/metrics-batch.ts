// What a data-path worker counts for the one registry on the main thread: responses by class and
// latency histograms, kept in the registry's own shapes and sent as deltas. Counting a response then
// costs what it costs with one worker (a class slot ++, a bucket ++), not a key string and a sample
// per request, and the main thread adds a few arrays per report instead of replaying every request.

import { Histogram, LATENCY_BUCKETS } from "./histogram.ts";
import { type MetricsRegistry, type ResponseCounter, ResponseCounters } from "./metrics-registry.ts";

export interface MetricsDelta {
  responses: Array<[vs: string, pool: string, byClass: number[]]>;
  /** Per pool: per-bucket counts (not cumulative), sum of seconds, count. */
  latency: Array<[pool: string, counts: number[], sum: number, count: number]>;
}

/** The worker side: the same handles as MetricsRegistry.responses / poolLatency. */
export class MetricsBatch {
  private readonly responsesByKey = new ResponseCounters();
  private readonly latency = new Map<string, Histogram>();

  responses(vs: string, pool: string): ResponseCounter {
    return this.responsesByKey.get(vs, pool);
  }

  poolLatency(pool: string): Histogram {
    let h = this.latency.get(pool);
    if (!h) {
      h = new Histogram(LATENCY_BUCKETS);
      this.latency.set(pool, h);
    }
    return h;
  }

  /** What was counted since the last take; the handles stay valid and start again from zero. */
  take(): MetricsDelta {
    const out: MetricsDelta = { responses: [], latency: [] };
    for (const { vs, pool, c } of this.responsesByKey.all()) {
      if (c.byClass.every((n) => n === 0)) continue;
      out.responses.push([vs, pool, Array.from(c.byClass)]);
      c.byClass.fill(0);
    }
    for (const [pool, h] of this.latency) {
      if (h.count === 0) continue;
      out.latency.push([pool, Array.from(h.counts), h.sum, h.count]);
      h.counts.fill(0);
      h.sum = 0;
      h.count = 0;
    }
    return out;
  }
}

/** The main side: add a worker's delta to the registry (the same bounds: LATENCY_BUCKETS). */
export function addMetricsDelta(registry: MetricsRegistry, d: MetricsDelta): void {
  for (const [vs, pool, byClass] of d.responses) {
    const c = registry.responses(vs, pool).byClass;
    for (let i = 0; i < byClass.length && i < c.length; i++) c[i]! += byClass[i]!;
  }
  for (const [pool, counts, sum, count] of d.latency) registry.poolLatency(pool).add(counts, sum, count);
}
