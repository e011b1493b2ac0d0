import { expect, test } from "bun:test";
import { Histogram } from "../../core/metrics/histogram.ts";
import { addMetricsDelta, MetricsBatch } from "../../core/metrics/metrics-batch.ts";
import { MetricsRegistry } from "../../core/metrics/metrics-registry.ts";
import { Cluster } from "../../core/state/cluster.ts";

const SAMPLES: Array<[vs: string, pool: string, status: number, cut: boolean, seconds: number]> = [
  ["web", "app", 200, false, 0.0002],
  ["web", "app", 200, false, 0.003],
  ["web", "app", 503, false, 0.2],
  ["web", "app", 200, true, 12],
  ["api", "app", 404, false, 0.0009],
  ["api", "other", 302, false, 0.04],
];

function feed(into: Pick<MetricsRegistry, "responses" | "poolLatency">, rows = SAMPLES): void {
  for (const [vs, pool, status, cut, seconds] of rows) {
    into.responses(vs, pool).inc(status, cut);
    into.poolLatency(pool).observe(seconds);
  }
}

test("a worker's batches added to the registry give what counting there directly gives", () => {
  const direct = new MetricsRegistry({ cluster: new Cluster() });
  feed(direct);
  feed(direct);
  const summed = new MetricsRegistry({ cluster: new Cluster() });
  const batch = new MetricsBatch();
  // Handles kept across takes, as the switch keeps them.
  feed(batch);
  addMetricsDelta(summed, batch.take());
  feed(batch);
  addMetricsDelta(summed, batch.take());
  expect(summed.render(0)).toBe(direct.render(0));
  expect(summed.render(0)).toContain(
    'tcpvs_http_responses_total{virtual_server="web",pool="app",code="cut"} 2',
  );
});

test("take() starts the counts again and leaves out what did not change", () => {
  const batch = new MetricsBatch();
  feed(batch);
  expect(batch.take().responses).toHaveLength(3);
  expect(batch.take()).toEqual({ responses: [], latency: [] });
  feed(batch, [SAMPLES[1]!]);
  const d = batch.take();
  expect(d.responses).toEqual([["web", "app", [0, 0, 1, 0, 0, 0, 0]]]);
  expect(d.latency.map(([pool, , sum, count]) => [pool, sum, count])).toEqual([["app", 0.003, 1]]);
});

test("a histogram refuses counts over other buckets", () => {
  expect(() => new Histogram([1, 2]).add([1, 2], 3, 3)).toThrow("same 3 buckets");
});
