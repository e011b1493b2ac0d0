import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { memoryLogger } from "../../core/log/logger.ts";
import { Histogram } from "../../core/metrics/histogram.ts";
import { MetricsRegistry } from "../../core/metrics/metrics-registry.ts";
import { MetricsServer } from "../../core/metrics/metrics-server.ts";
import { Cluster, PoolState, ServerState } from "../../core/state/cluster.ts";

function cluster(): Cluster {
  const c = new Cluster();
  c.pools.set(
    "app",
    new PoolState("app", [
      new ServerState("app", "a1", "10.0.0.1:8080", 2, { now: 0 }),
      new ServerState("app", 'we"ird\\name', "10.0.0.2:8080", 1, { now: 0 }),
    ]),
  );
  c.vrrp.set("VI_1", { state: "MASTER", priority: 150, since: 0, reason: "priority" });
  return c;
}

/** Sample lines as name{labels} -> value, for asserting exact figures. */
function samples(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}

describe("Histogram", () => {
  test("puts samples in the first bucket whose bound is >= the value, cumulates on render", () => {
    const h = new Histogram([0.1, 1]);
    for (const s of [0, 0.1, 0.1000001, 1, 5, Number.NaN, -1]) h.observe(s);
    expect([...h.counts]).toEqual([2, 2, 1]);
    expect(h.cumulative()).toEqual([2, 4, 5]);
    expect(h.count).toBe(5);
    expect(h.sum).toBeCloseTo(6.2000001, 6);
  });
  test("refuses bounds that do not rise", () => {
    expect(() => new Histogram([1, 1])).toThrow(/rising/);
  });
});

describe("MetricsRegistry", () => {
  test("figures equal what the test did", () => {
    const c = cluster();
    const r = new MetricsRegistry({ cluster: c, version: "0.1.0", startedAt: 1_000_000 });
    const n = 13;
    for (let i = 0; i < n; i++) c.count("reject.header_timeout");
    const resp = r.responses("web", "app");
    for (let i = 0; i < 5; i++) resp.inc(200);
    r.httpResponse("web", "app", 503);
    r.httpResponse("web", "app", 99);
    const h = r.poolLatency("app");
    h.observe(0.003);
    h.observe(0.2);
    const s1 = c.pools.get("app")!.server("a1")!;
    s1.requests = 77;
    s1.active = 4;
    s1.lastCheck = { ok: false, reason: "refused", latencyMs: 12, at: 0 };
    c.updateServer("app", "a1", (s) => (s.drained = true), "test", 0);
    const m = samples(r.render(10_000));
    expect(m.get('tcpvs_events_total{name="reject.header_timeout"}')).toBe(n);
    expect(m.get('tcpvs_http_responses_total{virtual_server="web",pool="app",code="2xx"}')).toBe(5);
    expect(m.get('tcpvs_http_responses_total{virtual_server="web",pool="app",code="5xx"}')).toBe(1);
    expect(m.get('tcpvs_http_responses_total{virtual_server="web",pool="app",code="other"}')).toBe(1);
    expect(m.get('tcpvs_server_requests_total{pool="app",server="a1"}')).toBe(77);
    expect(m.get('tcpvs_server_current_sessions{pool="app",server="a1"}')).toBe(4);
    expect(m.get('tcpvs_server_weight{pool="app",server="a1"}')).toBe(0);
    expect(m.get('tcpvs_server_check_status{pool="app",server="a1"}')).toBe(0);
    expect(m.get('tcpvs_server_check_duration_seconds{pool="app",server="a1"}')).toBe(0.012);
    expect(m.get('tcpvs_server_last_status_change_seconds{pool="app",server="a1"}')).toBe(10);
    expect(m.get('tcpvs_pool_response_time_seconds_bucket{pool="app",le="0.005"}')).toBe(1);
    expect(m.get('tcpvs_pool_response_time_seconds_bucket{pool="app",le="+Inf"}')).toBe(2);
    expect(m.get('tcpvs_pool_response_time_seconds_count{pool="app"}')).toBe(2);
    expect(m.get('tcpvs_vrrp_state{instance="VI_1"}')).toBe(2);
    expect(m.get('tcpvs_server_up{pool="app",server="we\\"ird\\\\name"}')).toBe(1);
  });
});

describe("metrics over HTTP, checked by promtool", () => {
  let ms: MetricsServer | undefined;
  const dir = mkdtempSync(join(tmpdir(), "tcpvs-metrics-"));
  afterEach(async () => {
    await ms?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("GET /metrics serves text that promtool accepts", async () => {
    const c = cluster();
    const r = new MetricsRegistry({ cluster: c, version: "0.1.0", startedAt: Date.now() });
    c.count("retry");
    r.httpResponse("web", "app", 404);
    r.poolLatency("app").observe(0.01);
    c.pools.get("app")!.server("a1")!.lastCheck = { ok: true, reason: "status 200", latencyMs: 3, at: 0 };
    const ep = { kind: "inet" as const, host: "127.0.0.1", port: 0, family: 4 as const, text: "127.0.0.1:0" };
    ms = MetricsServer.start(ep, r, memoryLogger().logger);
    const res = await fetch(`http://127.0.0.1:${ms.port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("version=0.0.4");
    const text = await res.text();
    expect(text).toContain("# TYPE tcpvs_server_up gauge");
    expect((await fetch(`http://127.0.0.1:${ms.port}/other`)).status).toBe(404);

    const promtool = Bun.which("promtool");
    if (!promtool) {
      console.log("skip promtool check: promtool not installed (apt-get install prometheus)");
      return;
    }
    const file = join(dir, "metrics.txt");
    writeFileSync(file, text);
    const p = Bun.spawnSync([promtool, "check", "metrics"], { stdin: Bun.file(file) });
    const out = p.stdout.toString() + p.stderr.toString();
    expect(out).toBe("");
    expect(p.exitCode).toBe(0);
    // And it is able to fail: a broken exposition is rejected.
    writeFileSync(file, '# TYPE x gauge\nx{a="b} 1\n');
    expect(Bun.spawnSync([promtool, "check", "metrics"], { stdin: Bun.file(file) }).exitCode).not.toBe(0);
  });
});
