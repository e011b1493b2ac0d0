// TLS benchmark of the L7 switch against HAProxy (Debian's 2.6, with OpenSSL), both terminating HTTPS
// with the same ECDSA P-256 certificate and forwarding plain HTTP to two nginx backends, as
// bench/switch.ts does: nginx and wrk on CPU 0, the proxies on CPU 1, CPU per request from /proc,
// each tcpvs run next to its HAProxy twin in the same round and the ratio taken per round.
// Scenarios: keep-alive requests at 50 connections; a new TLS connection per request (Connection:
// close); 1 MiB bodies at 10 connections. Then the RSS each proxy adds per idle TLS connection
// (handshake done, no request), from VmRSS before and after opening them.
// Usage: bun bench/switch-tls.ts [seconds=5] [rounds=1] [scenario filter] [idle connections=2000]

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuTicksOf, rssKiB, waitPort } from "./proc-stats.ts";

const seconds = Number(process.argv[2] ?? 5);
const rounds = Number(process.argv[3] ?? 1);
const ALL = [
  { label: "keep-alive, 50 conns", path: "/", conns: 50, close: false },
  { label: "new TLS connection per request, 50 conns", path: "/", conns: 50, close: true },
  { label: "1 MiB, 10 conns", path: "/1m", conns: 10, close: false },
];
const only = process.argv[4];
const SCENARIOS = only ? ALL.filter((s) => s.label.includes(only)) : ALL;
const IDLE = Number(process.argv[5] ?? 2000);
const base = 26000 + Math.floor(Math.random() * 4000) * 2;
const ports = { nginx1: base, nginx2: base + 1, haproxy: base + 2, tcpvs: base + 3 };
const dir = mkdtempSync(join(tmpdir(), "tcpvs-bench-tls-"));
const procs: Array<ReturnType<typeof Bun.spawn>> = [];
const TICK = 100;

function spawn(cmd: string[], cpu: number): ReturnType<typeof Bun.spawn> {
  const p = Bun.spawn(["taskset", "-c", String(cpu), ...cmd], { stdout: "pipe", stderr: "pipe" });
  procs.push(p);
  return p;
}

function certificate(): string {
  const run = (args: string[]) => {
    const r = Bun.spawnSync(["openssl", ...args], { cwd: dir, stdout: "pipe", stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
  };
  run(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "site.key"]);
  run([
    "req",
    "-x509",
    "-new",
    "-key",
    "site.key",
    "-subj",
    "/CN=bench.test",
    "-days",
    "30",
    "-addext",
    "subjectAltName=DNS:bench.test",
    "-out",
    "site.crt",
  ]);
  const pem = join(dir, "site.pem");
  writeFileSync(
    pem,
    readFileSync(join(dir, "site.crt"), "utf8") + readFileSync(join(dir, "site.key"), "utf8"),
  );
  return pem;
}

const nginxConf = (
  port: number,
) => `daemon off; master_process off; worker_processes 1; pid ${dir}/nginx${port}.pid;
error_log ${dir}/nginx${port}.err warn;
events { worker_connections 4096; }
http { access_log off; sendfile on; keepalive_requests 1000000; keepalive_timeout 60s;
  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  server { listen 127.0.0.1:${port} reuseport; root ${dir};
    location = / { return 200 "hello\\n"; } location /1m { try_files /1m =404; } } }`;

const haproxyConf = (pem: string) => `global
  nbthread 1
  maxconn 8000
  ssl-default-bind-options ssl-min-ver TLSv1.2
defaults
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  timeout http-keep-alive 30s
frontend fe
  mode http
  bind 127.0.0.1:${ports.haproxy} ssl crt ${pem} alpn http/1.1
  option forwardfor
  http-request set-header X-Forwarded-Proto https
  default_backend be
backend be
  mode http
  balance roundrobin
  http-reuse always
  server n1 127.0.0.1:${ports.nginx1}
  server n2 127.0.0.1:${ports.nginx2}
`;

const tcpvsConf = (pem: string) => `[global]
control = "unix:${dir}/control.sock"
log_level = "warn"
[[virtual_server]]
name = "https"
listen = ["127.0.0.1:${ports.tcpvs}"]
mode = "http"
pool = "web"
max_connections = 8000
idle_timeout = "5m"
client_keepalive_timeout = "5m"
  [virtual_server.tls]
  certificates = ["${pem}"]
[pool.web]
scheduler = "rr"
  [[pool.web.server]]
  address = "127.0.0.1:${ports.nginx1}"
  [[pool.web.server]]
  address = "127.0.0.1:${ports.nginx2}"
`;

interface Result {
  rps: number;
  mbps: number;
  p99: number;
  cpuUs: number;
}

async function wrk(port: number, pid: number, sc: (typeof ALL)[number]): Promise<Result> {
  const before = cpuTicksSum(pid);
  const args = ["taskset", "-c", "0", "wrk", "-t1", `-c${sc.conns}`, `-d${seconds}s`, "--latency"];
  if (sc.close) args.push("-H", "Connection: close");
  args.push(`https://127.0.0.1:${port}${sc.path}`);
  const p = Bun.spawn(args, { stdout: "pipe", stderr: "pipe" });
  const out = await new Response(p.stdout).text();
  await p.exited;
  const ticks = cpuTicksSum(pid) - before;
  const total = Number(/([0-9]+) requests in/.exec(out)?.[1] ?? 0);
  const errors = /Socket errors: (.*)/.exec(out)?.[1];
  const non2xx = /Non-2xx or 3xx responses: ([0-9]+)/.exec(out)?.[1];
  if (errors || non2xx)
    console.log(`  port ${port}: socket errors ${errors ?? "none"}, non-2xx ${non2xx ?? 0}`);
  const mb = /Transfer\/sec:\s+([0-9.]+)(B|KB|MB|GB)/.exec(out);
  const p99 = /^\s+99%\s+([0-9.]+)(us|ms|s)/m.exec(out);
  return {
    rps: Number(/Requests\/sec:\s+([0-9.]+)/.exec(out)?.[1] ?? 0),
    mbps: mb ? Number(mb[1]) * ({ B: 1e-6, KB: 1 / 1024, MB: 1, GB: 1024 }[mb[2]!] ?? 1) : Number.NaN,
    p99: p99 ? Number(p99[1]) * ({ us: 0.001, ms: 1, s: 1000 }[p99[2]!] ?? 1) : Number.NaN,
    cpuUs: total > 0 ? ((ticks / TICK) * 1e6) / total : Number.NaN,
  };
}

/** Open `n` TLS connections to `port`, handshakes done, and keep them idle; returns a closer. */
async function idleConnections(port: number, n: number): Promise<() => void> {
  const socks: Array<{ end(): void }> = [];
  for (let i = 0; i < n; i += 100) {
    const batch = Array.from(
      { length: Math.min(100, n - i) },
      () =>
        new Promise<void>((resolve) => {
          Bun.connect({
            hostname: "127.0.0.1",
            port,
            tls: { serverName: "bench.test", rejectUnauthorized: false },
            socket: {
              handshake: (s) => {
                socks.push(s);
                resolve();
              },
              data() {},
              close: () => resolve(),
              error: () => resolve(),
            },
          }).catch(() => resolve());
        }),
    );
    await Promise.all(batch);
  }
  return () => {
    for (const s of socks) s.end();
  };
}

async function main(): Promise<void> {
  writeFileSync(join(dir, "1m"), Buffer.alloc(1024 * 1024, 120));
  const pem = certificate();
  for (const p of [ports.nginx1, ports.nginx2]) {
    writeFileSync(join(dir, `nginx${p}.conf`), nginxConf(p));
    spawn(["nginx", "-c", join(dir, `nginx${p}.conf`), "-p", dir], 0);
  }
  writeFileSync(join(dir, "haproxy.cfg"), haproxyConf(pem));
  const hap = spawn(["haproxy", "-f", join(dir, "haproxy.cfg")], 1);
  writeFileSync(join(dir, "tcpvs.toml"), tcpvsConf(pem));
  const tv = spawn(
    [process.execPath, join(import.meta.dir, "../cmd/main.ts"), "serve", "-c", join(dir, "tcpvs.toml")],
    1,
  );
  for (const p of Object.values(ports)) await waitPort(p);
  const contenders: Array<[string, number, number]> = [
    ["haproxy https", ports.haproxy, hap.pid],
    ["tcpvs https", ports.tcpvs, tv.pid],
  ];
  // Warm-up (JIT, server pools).
  await wrk(ports.tcpvs, tv.pid, { ...ALL[0]!, label: "warm-up" });
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const sc of SCENARIOS) {
    const all = new Map<string, Result[]>();
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? contenders : [...contenders].reverse();
      for (const [name, port, pid] of order)
        all.set(name, [...(all.get(name) ?? []), await wrk(port, pid, sc)]);
    }
    console.log(`\n${sc.label} (GET ${sc.path}), ${seconds}s x ${rounds} round(s), proxies on CPU 1\n`);
    console.log("| contender | req/s | MB/s | p99 ms | CPU µs/req |");
    console.log("|---|---|---|---|---|");
    for (const [name] of contenders) {
      const rs = all.get(name)!;
      const m = (f: (x: Result) => number) => median(rs.map(f));
      console.log(
        `| ${name} | ${m((x) => x.rps).toFixed(0)} | ${m((x) => x.mbps).toFixed(0)} | ${m((x) => x.p99).toFixed(2)} | ${m((x) => x.cpuUs).toFixed(1)} |`,
      );
    }
    const ratio = (f: (x: Result) => number) => {
      const xs = all.get("tcpvs https")!.map((x, i) => f(x) / f(all.get("haproxy https")![i]!));
      const s = [...xs].sort((a, b) => a - b);
      return `${median(xs).toFixed(2)}${xs.length > 1 ? ` (${s[0]!.toFixed(2)}–${s.at(-1)!.toFixed(2)})` : ""}`;
    };
    console.log(
      `\ntcpvs/haproxy, median of ${rounds} paired round(s): req/s ${ratio((x) => x.rps)}, CPU/req ${ratio((x) => x.cpuUs)}`,
    );
  }
  console.log(`\nRSS per idle TLS connection (${IDLE} connections, handshake done, no request)\n`);
  console.log("| contender | RSS before MiB | RSS with them MiB | KiB per connection |");
  console.log("|---|---|---|---|");
  for (const [name, port, pid] of contenders) {
    await Bun.sleep(500);
    const before = rssKiB(pid);
    const close = await idleConnections(port, IDLE);
    await Bun.sleep(1000);
    const after = rssKiB(pid);
    console.log(
      `| ${name} | ${(before / 1024).toFixed(1)} | ${(after / 1024).toFixed(1)} | ${((after - before) / IDLE).toFixed(1)} |`,
    );
    close();
    await Bun.sleep(1000);
  }
}

try {
  await main();
} finally {
  for (const p of procs) p.kill();
  await Promise.all(procs.map((p) => p.exited));
  rmSync(dir, { recursive: true, force: true });
}

function cpuTicksSum(pid: number): number {
  const [u, sys] = cpuTicksOf(pid);
  return u + sys;
}
