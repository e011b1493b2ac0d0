// Benchmark of the L7 switch against HAProxy and the backends direct (see
// ../shared/notes/performance-baseline.md for the method): two nginx backends and wrk on CPU 0, the
// proxy under test alone on CPU 1, keep-alive requests, CPU per request from /proc. tcpvs runs as
// the real `tcpvs serve` (config, schedulers, metrics hook and all), not a stripped harness.
// Scenarios: small responses at 10, 50 and 200 connections, 64 KiB and 1 MiB bodies at 10. The
// backends send files with sendfile, as Debian's stock nginx does; the last scenario serves 1 MiB with
// sendfile off, where nginx and wrk copying every byte on their shared core are the limit (nginx direct
// does no better than either proxy there). Each proxy runs next to its HAProxy twin; the ratios are
// taken per round, then their median and range.
// The "rules" scenario adds a second virtual server (and HAProxy frontend) doing the day-one work of
// issue 18: 50 path rules tried before the default pool, a rate limit by source (high enough never
// to refuse) and a response header; its ratio is read next to the plain one of the same round.
// Usage: bun bench/switch.ts [seconds=5] [rounds=1] [scenario filter, e.g. "small, 50"]

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuTicksOf, waitPort } from "./proc-stats.ts";

const seconds = Number(process.argv[2] ?? 5);
const rounds = Number(process.argv[3] ?? 1);
const ALL_SCENARIOS = [
  { label: "small, 10 conns", path: "/", conns: 10 },
  { label: "small, 50 conns", path: "/", conns: 50 },
  { label: "small, 200 conns", path: "/", conns: 200 },
  { label: "64 KiB, 10 conns", path: "/64k", conns: 10 },
  { label: "1 MiB, 10 conns", path: "/1m", conns: 10 },
  { label: "1 MiB, 10 conns, backends copying", path: "/copy/1m", conns: 10 },
  { label: "small, 50 conns, 50 rules + limit + response header", path: "/", conns: 50, rules: true },
];
/** The rules of the "rules" scenario: none matches "/", so every one is tried. */
const RULES = 50;
const only = process.argv[4];
const SCENARIOS = only ? ALL_SCENARIOS.filter((s) => s.label.includes(only)) : ALL_SCENARIOS;
if (SCENARIOS.length === 0) {
  console.error(`No scenario matches "${only}": ${ALL_SCENARIOS.map((s) => s.label).join("; ")}`);
  process.exit(2);
}
const base = 20000 + Math.floor(Math.random() * 5000) * 2;
const ports = {
  nginx1: base,
  nginx2: base + 1,
  haproxy: base + 2,
  tcpvs: base + 3,
  haproxyTcp: base + 4,
  tcpvsTcp: base + 5,
  haproxyRules: base + 6,
  tcpvsRules: base + 7,
};
const dir = mkdtempSync(join(tmpdir(), "tcpvs-bench-"));
const procs: Array<{ name: string; proc: ReturnType<typeof Bun.spawn> }> = [];
const TICK = 100; // USER_HZ

function spawn(name: string, cmd: string[], cpu: number): ReturnType<typeof Bun.spawn> {
  const proc = Bun.spawn(["taskset", "-c", String(cpu), ...cmd], { stdout: "pipe", stderr: "pipe" });
  procs.push({ name, proc });
  return proc;
}

function nginxConf(port: number): string {
  return `daemon off; master_process off; worker_processes 1; pid ${dir}/nginx${port}.pid;
error_log ${dir}/nginx${port}.err warn;
events { worker_connections 4096; }
http { access_log off; sendfile on; keepalive_requests 1000000; keepalive_timeout 60s;
  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  server { listen 127.0.0.1:${port} reuseport; root ${dir};
    location = / { return 200 "hello\\n"; }
    location /64k { try_files /64k =404; } location /1m { try_files /1m =404; }
    location /copy/ { sendfile off; alias ${dir}/; } } }`;
}

const haproxyConf = `global
  nbthread 1
  maxconn 8000
defaults
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  timeout http-keep-alive 30s
frontend fe
  mode http
  bind 127.0.0.1:${ports.haproxy}
  # The same work as tcpvs's defaults (x_forwarded_for, x_forwarded_proto): both add the two fields.
  option forwardfor
  http-request set-header X-Forwarded-Proto http
  acl never path_beg /never/
  use_backend be if never
  default_backend be
backend be
  mode http
  balance roundrobin
  http-reuse always
  server n1 127.0.0.1:${ports.nginx1}
  server n2 127.0.0.1:${ports.nginx2}
frontend rules
  mode http
  bind 127.0.0.1:${ports.haproxyRules}
  option forwardfor
  http-request set-header X-Forwarded-Proto http
  # A rate limit by source, as [[virtual_server.limit]] key = "source", rate = "1000000000/1s".
  stick-table type ip size 100k expire 10s store http_req_rate(1s)
  http-request track-sc0 src
  http-request deny deny_status 429 if { sc_http_req_rate(0) gt 1000000000 }
  http-response set-header Strict-Transport-Security "max-age=31536000"
${Array.from({ length: RULES }, (_, i) => `  acl r${i} path_beg /r${i}/\n  use_backend be if r${i}`).join("\n")}
  default_backend be
listen tcp
  mode tcp
  bind 127.0.0.1:${ports.haproxyTcp}
  balance roundrobin
  server n1 127.0.0.1:${ports.nginx1}
  server n2 127.0.0.1:${ports.nginx2}
`;

function tcpvsConf(): string {
  const servers = [ports.nginx1, ports.nginx2]
    .map((p, i) => `  [[pool.web.server]]\n  name = "n${i + 1}"\n  address = "127.0.0.1:${p}"\n`)
    .join("");
  return `[global]
control = "unix:${dir}/control.sock"
log_level = "warn"
[[virtual_server]]
name = "http"
listen = ["127.0.0.1:${ports.tcpvs}"]
mode = "http"
pool = "web"
max_connections = 8000
  [[virtual_server.rule]]
  path_prefix = "/never/"
  pool = "web"
[[virtual_server]]
name = "rules"
listen = ["127.0.0.1:${ports.tcpvsRules}"]
mode = "http"
pool = "web"
max_connections = 8000
set_response_header = { "Strict-Transport-Security" = "max-age=31536000" }
  [[virtual_server.limit]]
  key = "source"
  rate = "1000000000/1s"
${Array.from({ length: RULES }, (_, i) => `  [[virtual_server.rule]]\n  path_prefix = "/r${i}/"\n  pool = "web"`).join("\n")}
[[virtual_server]]
name = "tcp"
listen = ["127.0.0.1:${ports.tcpvsTcp}"]
mode = "tcp"
pool = "web"
[pool.web]
scheduler = "rr"
${servers}`;
}

interface Result {
  name: string;
  rps: number;
  mbps: number;
  p50: number;
  p99: number;
  cpuUs: number;
  /** The part of cpuUs spent in user space (the rest is the kernel's: TCP on loopback, wakeups). */
  userUs: number;
}

function ms(s: string): number {
  const m = /([0-9.]+)(us|ms|s)/.exec(s);
  if (!m) return Number.NaN;
  const v = Number(m[1]);
  return m[2] === "us" ? v / 1000 : m[2] === "s" ? v * 1000 : v;
}

function mb(s: string): number {
  const m = /([0-9.]+)(B|KB|MB|GB)/.exec(s);
  if (!m) return Number.NaN;
  return Number(m[1]) * ({ B: 1e-6, KB: 1 / 1024, MB: 1, GB: 1024 }[m[2]!] ?? 1);
}

async function wrk(
  name: string,
  port: number,
  pid: number | undefined,
  path: string,
  conns: number,
): Promise<Result> {
  const before = pid ? cpuTicksOf(pid) : [0, 0];
  const p = Bun.spawn(
    [
      "taskset",
      "-c",
      "0",
      "wrk",
      "-t1",
      `-c${conns}`,
      `-d${seconds}s`,
      "--latency",
      `http://127.0.0.1:${port}${path}`,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  const out = await new Response(p.stdout).text();
  await p.exited;
  const after = pid ? cpuTicksOf(pid) : [0, 0];
  const total = Number(/([0-9]+) requests in/.exec(out)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: ([0-9]+)/.exec(out)?.[1] ?? 0);
  const errors = /Socket errors: (.*)/.exec(out)?.[1];
  if (non2xx > 0 || errors) console.log(`  ${name}: non-2xx ${non2xx}, socket errors ${errors ?? "none"}`);
  return {
    name,
    rps: Number(/Requests\/sec:\s+([0-9.]+)/.exec(out)?.[1] ?? 0),
    mbps: mb(/Transfer\/sec:\s+(\S+)/.exec(out)?.[1] ?? ""),
    p50: ms(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? ""),
    p99: ms(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? ""),
    cpuUs:
      pid && total > 0
        ? (((after[0]! + after[1]! - before[0]! - before[1]!) / TICK) * 1e6) / total
        : Number.NaN,
    userUs: pid && total > 0 ? (((after[0]! - before[0]!) / TICK) * 1e6) / total : Number.NaN,
  };
}

async function main(): Promise<void> {
  writeFileSync(join(dir, "64k"), Buffer.alloc(64 * 1024, 120));
  writeFileSync(join(dir, "1m"), Buffer.alloc(1024 * 1024, 120));
  for (const p of [ports.nginx1, ports.nginx2]) {
    writeFileSync(join(dir, `nginx${p}.conf`), nginxConf(p));
    spawn(`nginx${p}`, ["nginx", "-c", join(dir, `nginx${p}.conf`), "-p", dir], 0);
  }
  writeFileSync(join(dir, "haproxy.cfg"), haproxyConf);
  const hap = spawn("haproxy", ["haproxy", "-f", join(dir, "haproxy.cfg")], 1);
  writeFileSync(join(dir, "tcpvs.toml"), tcpvsConf());
  const main = join(import.meta.dir, "../cmd/main.ts");
  const tv = spawn("tcpvs", [process.execPath, main, "serve", "-c", join(dir, "tcpvs.toml")], 1);
  for (const p of Object.values(ports)) await waitPort(p);
  type Contender = [string, number, number | undefined];
  // Each proxy runs right next to its HAProxy twin, first on alternate rounds: this machine's speed
  // drifts by tens of percent over minutes, so a ratio is taken within a round and then summarised.
  const groups: Contender[][] = [
    [["nginx direct", ports.nginx1, undefined]],
    [
      ["haproxy http", ports.haproxy, hap.pid],
      ["tcpvs http", ports.tcpvs, tv.pid],
    ],
    [
      ["haproxy tcp", ports.haproxyTcp, hap.pid],
      ["tcpvs tcp", ports.tcpvsTcp, tv.pid],
    ],
  ];
  const rulesGroups: Contender[][] = [
    groups[1]!,
    [
      ["haproxy rules", ports.haproxyRules, hap.pid],
      ["tcpvs rules", ports.tcpvsRules, tv.pid],
    ],
  ];
  // Warm up (JIT, pools), then measure in rotating order.
  for (const [name, port, pid] of [...groups, ...rulesGroups].flat())
    if (name.startsWith("tcpvs")) await wrkShort(name, port, pid);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const sc of SCENARIOS) {
    const scGroups = "rules" in sc ? rulesGroups : groups;
    const contenders = scGroups.flat();
    const all = new Map<string, Result[]>();
    for (let r = 0; r < rounds; r++) {
      const n = scGroups.length;
      const rotated = [...scGroups.slice(r % n), ...scGroups.slice(0, r % n)];
      const order = rotated.flatMap((g) => (r % 2 === 1 ? [...g].reverse() : g));
      for (const [name, port, pid] of order) {
        const res = await wrk(name, port, pid, sc.path, sc.conns);
        all.set(name, [...(all.get(name) ?? []), res]);
      }
    }
    const rows = contenders.map(([name]) => {
      const rs = all.get(name)!;
      const pick = (f: (x: Result) => number) => median(rs.map(f));
      return {
        name,
        rps: pick((x) => x.rps),
        mbps: pick((x) => x.mbps),
        p50: pick((x) => x.p50),
        p99: pick((x) => x.p99),
        cpuUs: pick((x) => x.cpuUs),
        userUs: pick((x) => x.userUs),
      };
    });
    console.log(`\n${sc.label} (GET ${sc.path}), ${seconds}s x ${rounds} round(s), proxies on CPU 1\n`);
    console.log("| contender | req/s | MB/s | p50 ms | p99 ms | CPU µs/req | of which user |");
    console.log("|---|---|---|---|---|---|---|");
    for (const r of rows) {
      const cpu = Number.isNaN(r.cpuUs) ? "-" : r.cpuUs.toFixed(1);
      const user = Number.isNaN(r.userUs) ? "-" : r.userUs.toFixed(1);
      console.log(
        `| ${r.name} | ${r.rps.toFixed(0)} | ${r.mbps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${cpu} | ${user} |`,
      );
    }
    // Per round, tcpvs over HAProxy; then the median and the range of those ratios.
    const perRound = (a: string, b: string, f: (x: Result) => number) => {
      const xs = all.get(a)!.map((x, i) => f(x) / f(all.get(b)![i]!));
      const sorted = [...xs].sort((p, q) => p - q);
      const range = xs.length > 1 ? ` (${sorted[0]!.toFixed(2)}–${sorted.at(-1)!.toFixed(2)})` : "";
      return `${median(xs).toFixed(2)}${range}`;
    };
    if ("rules" in sc) {
      console.log(
        `\ntcpvs/haproxy, median of ${rounds} paired round(s): ` +
          `plain http req/s ${perRound("tcpvs http", "haproxy http", (x) => x.rps)}, ` +
          `with ${RULES} rules + limit + response header req/s ${perRound("tcpvs rules", "haproxy rules", (x) => x.rps)}, ` +
          `CPU/req ${perRound("tcpvs rules", "haproxy rules", (x) => x.cpuUs)}`,
      );
      continue;
    }
    console.log(
      `\ntcpvs/haproxy, median of ${rounds} paired round(s): ` +
        `http req/s ${perRound("tcpvs http", "haproxy http", (x) => x.rps)}, ` +
        `http CPU/req ${perRound("tcpvs http", "haproxy http", (x) => x.cpuUs)}, ` +
        `tcp req/s ${perRound("tcpvs tcp", "haproxy tcp", (x) => x.rps)}`,
    );
  }
}

async function wrkShort(name: string, port: number, pid: number | undefined): Promise<void> {
  const p = Bun.spawn(["taskset", "-c", "0", "wrk", "-t1", "-c50", "-d2s", `http://127.0.0.1:${port}/`], {
    stdout: "ignore",
    stderr: "ignore",
  });
  await p.exited;
  void name;
  void pid;
}

try {
  await main();
} finally {
  for (const { proc } of procs) proc.kill();
  await Promise.all(procs.map((p) => p.proc.exited));
  rmSync(dir, { recursive: true, force: true });
}
