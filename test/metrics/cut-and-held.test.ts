// A response cut short is counted as code="cut", not by the status its head carried; the switch's
// held-bytes figures are exposed as gauges read at scrape time.

import { expect, test } from "bun:test";
import { MetricsRegistry } from "../../core/metrics/metrics-registry.ts";
import { Cluster } from "../../core/state/cluster.ts";

function samples(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}

test("a 200 cut short counts as cut, not as 2xx", () => {
  const r = new MetricsRegistry({ cluster: new Cluster() });
  const c = r.responses("web", "app");
  c.inc(200);
  c.inc(200, true);
  c.inc(200, true);
  const m = samples(r.render());
  expect(m.get('tcpvs_http_responses_total{virtual_server="web",pool="app",code="2xx"}')).toBe(1);
  expect(m.get('tcpvs_http_responses_total{virtual_server="web",pool="app",code="cut"}')).toBe(2);
});

test("gauges from other parts are read at each scrape", () => {
  let held = 10;
  const r = new MetricsRegistry({
    cluster: new Cluster(),
    gauges: () => [{ name: "tcpvs_held_bytes", help: "Held.", value: held }],
  });
  expect(samples(r.render()).get("tcpvs_held_bytes")).toBe(10);
  held = 0;
  const text = r.render();
  expect(samples(text).get("tcpvs_held_bytes")).toBe(0);
  expect(text).toContain("# TYPE tcpvs_held_bytes gauge");
});
