// Benchmark of the L7 switch against HAProxy and the backends direct (see
// /work/shared/notes/performance-baseline.md for the method): two nginx backends and wrk on CPU 0,
// the proxy under test alone on CPU 1, small keep-alive requests, CPU per request from /proc.
// Usage: bun bench/switch.ts [seconds=5] [connections=50] [rounds=1]

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const seconds = Number(process.argv[2] ?? 5);
const conns = Number(process.argv[3] ?? 50);
const rounds = Number(process.argv[4] ?? 1);
const base = 20000 + Math.floor(Math.random() * 5000) * 2;
const ports = {
  nginx1: base,
  nginx2: base + 1,
  haproxy: base + 2,
  tcpvs: base + 3,
  haproxyTcp: base + 4,
  tcpvsTcp: base + 5,
};
const dir = mkdtempSync(join(tmpdir(), "tcpvs-bench-"));
const procs: Array<{ name: string; proc: ReturnType<typeof Bun.spawn> }> = [];
const TICK = 100; // USER_HZ

function spawn(name: string, cmd: string[], cpu: number): ReturnType<typeof Bun.spawn> {
  const proc = Bun.spawn(["taskset", "-c", String(cpu), ...cmd], { stdout: "pipe", stderr: "pipe" });
  procs.push({ name, proc });
  return proc;
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]); // utime + stime
}

async function waitPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
      s.end();
      return;
    } catch {
      await Bun.sleep(50);
    }
  }
  throw new Error(`Cannot reach 127.0.0.1:${port}: the contender did not start`);
}

function nginxConf(port: number): string {
  return `daemon off; master_process off; worker_processes 1; pid ${dir}/nginx${port}.pid;
error_log ${dir}/nginx${port}.err warn;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000; keepalive_timeout 60s;
  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  server { listen 127.0.0.1:${port} reuseport; location / { return 200 "hello\\n"; } } }`;
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
  acl never path_beg /never/
  use_backend be if never
  default_backend be
backend be
  mode http
  balance roundrobin
  http-reuse always
  server n1 127.0.0.1:${ports.nginx1}
  server n2 127.0.0.1:${ports.nginx2}
listen tcp
  mode tcp
  bind 127.0.0.1:${ports.haproxyTcp}
  balance roundrobin
  server n1 127.0.0.1:${ports.nginx1}
  server n2 127.0.0.1:${ports.nginx2}
`;

interface Result {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  cpuUs: number;
}

function ms(s: string): number {
  const m = /([0-9.]+)(us|ms|s)/.exec(s);
  if (!m) return Number.NaN;
  const v = Number(m[1]);
  return m[2] === "us" ? v / 1000 : m[2] === "s" ? v * 1000 : v;
}

async function wrk(name: string, port: number, pid: number | undefined): Promise<Result> {
  const before = pid ? cpuTicks(pid) : 0;
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
      `http://127.0.0.1:${port}/`,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  const out = await new Response(p.stdout).text();
  await p.exited;
  const after = pid ? cpuTicks(pid) : 0;
  const total = Number(/([0-9]+) requests in/.exec(out)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: ([0-9]+)/.exec(out)?.[1] ?? 0);
  const errors = /Socket errors: (.*)/.exec(out)?.[1];
  if (non2xx > 0 || errors) console.log(`  ${name}: non-2xx ${non2xx}, socket errors ${errors ?? "none"}`);
  return {
    name,
    rps: Number(/Requests\/sec:\s+([0-9.]+)/.exec(out)?.[1] ?? 0),
    p50: ms(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? ""),
    p99: ms(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? ""),
    cpuUs: pid && total > 0 ? (((after - before) / TICK) * 1e6) / total : Number.NaN,
  };
}

async function main(): Promise<void> {
  for (const p of [ports.nginx1, ports.nginx2]) {
    writeFileSync(join(dir, `nginx${p}.conf`), nginxConf(p));
    spawn(`nginx${p}`, ["nginx", "-c", join(dir, `nginx${p}.conf`), "-p", dir], 0);
  }
  writeFileSync(join(dir, "haproxy.cfg"), haproxyConf);
  const hap = spawn("haproxy", ["haproxy", "-f", join(dir, "haproxy.cfg")], 1);
  const server = `${import.meta.dir}/switch-server.ts`;
  const tv = spawn(
    "tcpvs",
    [process.execPath, server, String(ports.tcpvs), "http", String(ports.nginx1), String(ports.nginx2)],
    1,
  );
  const tvTcp = spawn(
    "tcpvs-tcp",
    [process.execPath, server, String(ports.tcpvsTcp), "tcp", String(ports.nginx1), String(ports.nginx2)],
    1,
  );
  for (const p of Object.values(ports)) await waitPort(p);
  const contenders: Array<[string, number, number | undefined]> = [
    ["nginx direct", ports.nginx1, undefined],
    ["haproxy http", ports.haproxy, hap.pid],
    ["tcpvs http", ports.tcpvs, tv.pid],
    ["haproxy tcp", ports.haproxyTcp, hap.pid],
    ["tcpvs tcp", ports.tcpvsTcp, tvTcp.pid],
  ];
  // Warm up (JIT, pools), then measure in rotating order.
  for (const [name, port, pid] of contenders) if (name.startsWith("tcpvs")) await wrkShort(name, port, pid);
  const all = new Map<string, Result[]>();
  for (let r = 0; r < rounds; r++) {
    const order = [...contenders.slice(r % contenders.length), ...contenders.slice(0, r % contenders.length)];
    for (const [name, port, pid] of order) {
      const res = await wrk(name, port, pid);
      all.set(name, [...(all.get(name) ?? []), res]);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rows = contenders.map(([name]) => {
    const rs = all.get(name)!;
    return {
      name,
      rps: median(rs.map((x) => x.rps)),
      p50: median(rs.map((x) => x.p50)),
      p99: median(rs.map((x) => x.p99)),
      cpuUs: median(rs.map((x) => x.cpuUs)),
    };
  });
  console.log(
    `\n${conns} connections, ${seconds}s x ${rounds} round(s), small keep-alive GET, proxy on CPU 1\n`,
  );
  console.log("| contender | req/s | p50 ms | p99 ms | CPU µs/req |");
  console.log("|---|---|---|---|---|");
  for (const r of rows)
    console.log(
      `| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${Number.isNaN(r.cpuUs) ? "-" : r.cpuUs.toFixed(1)} |`,
    );
  const get = (n: string) => rows.find((r) => r.name === n)!;
  console.log(
    `\ntcpvs/haproxy http req/s ratio: ${(get("tcpvs http").rps / get("haproxy http").rps).toFixed(2)}`,
  );
  console.log(
    `tcpvs/haproxy http CPU/req ratio: ${(get("tcpvs http").cpuUs / get("haproxy http").cpuUs).toFixed(2)}`,
  );
  console.log(`tcpvs/haproxy tcp req/s ratio: ${(get("tcpvs tcp").rps / get("haproxy tcp").rps).toFixed(2)}`);
}

async function wrkShort(name: string, port: number, pid: number | undefined): Promise<void> {
  const p = Bun.spawn(
    ["taskset", "-c", "0", "wrk", "-t1", `-c${conns}`, "-d2s", `http://127.0.0.1:${port}/`],
    {
      stdout: "ignore",
      stderr: "ignore",
    },
  );
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
