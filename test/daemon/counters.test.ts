// Counters must equal what was done: N requests through the switch show as N requests over the pool's
// servers in `status --json`, as N 2xx responses and N latency observations in /metrics.

import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  type Backend,
  backend,
  configText,
  exitWithin,
  freePort,
  killIfRunning,
  type Proc,
  startServe,
  statusJson,
  tempDir,
  writeConfig,
} from "./harness.ts";

let p: Proc | undefined;
let backends: Backend[] = [];
let tmp: ReturnType<typeof tempDir>;
let port = 0;
let metricsPort = 0;
let control = "";

beforeAll(async () => {
  tmp = tempDir();
  backends = [backend("b1"), backend("b2")];
  port = freePort();
  metricsPort = freePort();
  control = `unix:${tmp.dir}/control.sock`;
  const file = writeConfig(
    tmp.dir,
    configText({ port, control, backends, metricsPort, checkInterval: "5s" }),
  );
  p = await startServe(file);
});

afterAll(async () => {
  if (p) {
    p.proc.kill("SIGTERM");
    await exitWithin(p, 8000);
  }
  killIfRunning(p);
  for (const b of backends) b.stop();
  tmp.cleanup();
});

function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const ok = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (ok) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

test("N requests -> N in status (sum over servers), N 2xx responses and N latency samples in /metrics", async () => {
  const N = 37;
  // Mix: some on fresh connections, the rest on keep-alive connections Bun's fetch reuses.
  for (let i = 0; i < 7; i++) {
    const r = await fetch(`http://127.0.0.1:${port}/x${i}`, { headers: { connection: "close" } });
    expect(r.status).toBe(200);
    await r.text();
  }
  await Promise.all(
    Array.from({ length: N - 7 }, async (_, i) => {
      const r = await fetch(`http://127.0.0.1:${port}/k${i}`);
      expect(r.status).toBe(200);
      await r.text();
    }),
  );
  const hits = backends.reduce((n, b) => n + b.hits, 0);
  expect(hits).toBe(N);

  const s = await statusJson(control);
  const app = s.pools.find((x) => x.name === "app")!;
  const requests = app.servers.reduce((n, sv) => n + sv.requests_total, 0);
  expect(requests).toBe(N);
  // Each server's count matches what its backend saw.
  for (const b of backends) expect(app.servers.find((sv) => sv.name === b.name)!.requests_total).toBe(b.hits);

  const m = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  expect(metricSum(m, "tcpvs_http_responses_total", { virtual_server: "web", code: "2xx" })).toBe(N);
  expect(metricSum(m, "tcpvs_http_responses_total", { virtual_server: "web" })).toBe(N);
  expect(metricSum(m, "tcpvs_pool_response_time_seconds_count", { pool: "app" })).toBe(N);
  expect(metricSum(m, "tcpvs_pool_response_time_seconds_bucket", { pool: "app", le: "+Inf" })).toBe(N);
  expect(metricSum(m, "tcpvs_server_requests_total", { pool: "app" })).toBe(N);
}, 30_000);

test("a 404 from a backend counts as 4xx, not 2xx", async () => {
  const m = async () => await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const count = (t: string, code: string) => metricSum(t, "tcpvs_http_responses_total", { code });
  const before = await m();
  const r = await fetch(`http://127.0.0.1:${port}/missing`);
  expect(r.status).toBe(404);
  await r.text();
  const after = await m();
  expect(count(after, "4xx") - count(before, "4xx")).toBe(1);
  expect(count(after, "2xx") - count(before, "2xx")).toBe(0);
}, 15_000);
