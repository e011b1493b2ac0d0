// "All cores": tcpvs with `workers = N` against HAProxy with `nbthread N`, and each at 1, on the same two
// nginx backends, nothing pinned (issue 17). On a 2-core machine wrk and the backends share the cores
// with the proxy, so the absolute figures mean little: read the ratios, taken per paired round
// (tcpvs N next to HAProxy N, tcpvs 1 next to HAProxy 1, the order alternating), then their median and
// range. Also printed: the scaling factor (req/s at N over req/s at 1, each proxy), CPU per request
// over all the process's threads, and RSS per worker (tcpvs N minus tcpvs 1, over N - 1).
// Usage: bun bench/all-cores.ts [seconds=5] [rounds=3] [workers=2] [scenario filter]

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuTicksOf, rssKiB, threadsOf, waitPort } from "./proc-stats.ts";

const seconds = Number(process.argv[2] ?? 5);
const rounds = Number(process.argv[3] ?? 3);
const N = Number(process.argv[4] ?? 2);
const ALL: Array<{ label: string; path: string; conns: number; varied?: boolean }> = [
  { label: "small, 50 conns", path: "/", conns: 50 },
  { label: "small, 200 conns", path: "/", conns: 200 },
  { label: "1 MiB, 50 conns", path: "/1m", conns: 50 },
  { label: "1 MiB, 200 conns", path: "/1m", conns: 200 },
  // wrk repeats one request, and nginx its answer within a second: tcpvs decodes such a head once
  // (core/http/parser.ts). Here every request and every response head differs from the one before.
  { label: "small, every head new, 50 conns", path: "/", conns: 50, varied: true },
];
const only = process.argv[5];
const SCENARIOS = only ? ALL.filter((s) => s.label.includes(only)) : ALL;
const base = 26000 + Math.floor(Math.random() * 3000) * 2;
const ports = {
  nginx1: base,
  nginx2: base + 1,
  hapN: base + 2,
  hap1: base + 3,
  tvN: base + 4,
  tv1: base + 5,
};
const dir = mkdtempSync(join(tmpdir(), "tcpvs-allcores-"));
const procs: Array<ReturnType<typeof Bun.spawn>> = [];
const TICK = 100;

function spawn(cmd: string[]): ReturnType<typeof Bun.spawn> {
  const p = Bun.spawn(cmd, { stdout: "ignore", stderr: "pipe" });
  procs.push(p);
  return p;
}

const nginxConf = (port: number) => `daemon off; master_process off; worker_processes 1;
pid ${dir}/nginx${port}.pid; error_log ${dir}/nginx${port}.err warn;
events { worker_connections 4096; }
http { access_log off; sendfile on; keepalive_requests 1000000; keepalive_timeout 60s;
  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  server { listen 127.0.0.1:${port} reuseport; root ${dir};
    location = / { add_header X-N $arg_n; return 200 "hello\\n"; } location /1m { try_files /1m =404; } } }`;

const haproxyConf = (threads: number, port: number) => `global
  nbthread ${threads}
  maxconn 8000
defaults
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  timeout http-keep-alive 30s
frontend fe
  mode http
  bind 127.0.0.1:${port}
  option forwardfor
  http-request set-header X-Forwarded-Proto http
  default_backend be
backend be
  mode http
  balance roundrobin
  http-reuse always
  server n1 127.0.0.1:${ports.nginx1}
  server n2 127.0.0.1:${ports.nginx2}
`;

const tcpvsConf = (workers: number, port: number) => `[global]
control = "unix:${dir}/control${port}.sock"
log_level = "warn"
workers = ${workers}
[[virtual_server]]
name = "http"
listen = ["127.0.0.1:${port}"]
mode = "http"
pool = "web"
max_connections = 8000
[pool.web]
scheduler = "rr"
  [[pool.web.server]]
  name = "n1"
  address = "127.0.0.1:${ports.nginx1}"
  [[pool.web.server]]
  name = "n2"
  address = "127.0.0.1:${ports.nginx2}"
`;

interface Result {
  rps: number;
  cpuUs: number;
}

// Each wrk thread numbers its requests: a new target and field every time, and nginx echoes the number.
const VARIED = `local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/?n=" .. n, { ["X-Seq"] = tostring(n) })
end
`;

async function wrk(
  port: number,
  pid: number,
  path: string,
  conns: number,
  secs = seconds,
  varied = false,
): Promise<Result> {
  const before = cpuTicksSum(pid);
  const script = varied ? ["-s", join(dir, "varied.lua")] : [];
  const p = Bun.spawn(
    ["wrk", `-t${N}`, `-c${conns}`, `-d${secs}s`, ...script, `http://127.0.0.1:${port}${path}`],
    {
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const out = await new Response(p.stdout).text();
  await p.exited;
  const total = Number(/([0-9]+) requests in/.exec(out)?.[1] ?? 0);
  const bad = Number(/Non-2xx or 3xx responses: ([0-9]+)/.exec(out)?.[1] ?? 0);
  if (bad > 0 || /Socket errors/.test(out))
    console.log(`  port ${port}: non-2xx ${bad} ${/Socket errors: (.*)/.exec(out)?.[1] ?? ""}`);
  return {
    rps: Number(/Requests\/sec:\s+([0-9.]+)/.exec(out)?.[1] ?? 0),
    cpuUs: total > 0 ? (((cpuTicksSum(pid) - before) / TICK) * 1e6) / total : Number.NaN,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const summary = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `${median(xs).toFixed(2)}${xs.length > 1 ? ` (${s[0]!.toFixed(2)}–${s.at(-1)!.toFixed(2)})` : ""}`;
};

async function main(): Promise<void> {
  writeFileSync(join(dir, "1m"), Buffer.alloc(1024 * 1024, 120));
  writeFileSync(join(dir, "varied.lua"), VARIED);
  for (const p of [ports.nginx1, ports.nginx2]) {
    writeFileSync(join(dir, `nginx${p}.conf`), nginxConf(p));
    spawn(["nginx", "-c", join(dir, `nginx${p}.conf`), "-p", dir]);
  }
  const hap = (threads: number, port: number) => {
    writeFileSync(join(dir, `haproxy${port}.cfg`), haproxyConf(threads, port));
    return spawn(["haproxy", "-f", join(dir, `haproxy${port}.cfg`)]);
  };
  const main = join(import.meta.dir, "../cmd/main.ts");
  const tcpvs = (workers: number, port: number) => {
    writeFileSync(join(dir, `tcpvs${port}.toml`), tcpvsConf(workers, port));
    return spawn([process.execPath, main, "serve", "-c", join(dir, `tcpvs${port}.toml`)]);
  };
  const c = {
    hapN: hap(N, ports.hapN),
    hap1: hap(1, ports.hap1),
    tvN: tcpvs(N, ports.tvN),
    tv1: tcpvs(1, ports.tv1),
  };
  for (const p of Object.values(ports)) await waitPort(p);
  const idle = { tv1: rssKiB(c.tv1.pid), tvN: rssKiB(c.tvN.pid) };
  for (const k of ["tvN", "tv1"] as const) await wrk(ports[k], c[k].pid, "/", 50, 2); // JIT warm-up
  // Like for like: HAProxy's threads at the nice of tcpvs's data path at the same thread count, read
  // once the workers have set theirs (after the warm-up). At workers = 1 that is the main thread, which
  // tcpvs raises to -5 for its control plane; the workers of workers = N run at 0, as HAProxy does.
  for (const [t, h] of [
    ["tv1", "hap1"],
    ["tvN", "hapN"],
  ] as const) {
    const dp = threadsOf(c[t].pid).filter((x) => (t === "tv1" ? x.tid === c[t].pid : x.comm === "Worker"));
    const nice = Math.max(...dp.map((x) => x.nice));
    if (!Number.isFinite(nice) || nice === 0) continue;
    for (const x of threadsOf(c[h].pid))
      await Bun.spawn(["renice", "-n", String(nice), "-p", String(x.tid)], { stdout: "ignore" }).exited;
    console.log(
      `${h === "hap1" ? "haproxy nbthread 1" : `haproxy nbthread ${N}`} runs at nice ${nice}, as tcpvs's data path at the same thread count`,
    );
  }
  const pairs = [
    ["hapN", "tvN"],
    ["hap1", "tv1"],
  ] as const;
  for (const sc of SCENARIOS) {
    const all: Record<string, Result[]> = { hapN: [], hap1: [], tvN: [], tv1: [] };
    for (let r = 0; r < rounds; r++) {
      const order = (r % 2 ? [...pairs].reverse() : pairs).flatMap((p) =>
        r % 2 ? [p[1], p[0]] : [p[0], p[1]],
      );
      for (const k of order)
        all[k]!.push(await wrk(ports[k], c[k].pid, sc.path, sc.conns, seconds, sc.varied));
    }
    const ratio = (a: string, b: string, f: (x: Result) => number) =>
      summary(all[a]!.map((x, i) => f(x) / f(all[b]![i]!)));
    console.log(
      `\n${sc.label} (GET ${sc.varied ? "/?n=<count>" : sc.path}), ${seconds}s x ${rounds} rounds, nothing pinned, ${N} = workers/nbthread\n`,
    );
    console.log("| contender | req/s (median) | CPU µs/req (all threads) |");
    console.log("|---|---|---|");
    const name = {
      hapN: `haproxy nbthread ${N}`,
      hap1: "haproxy nbthread 1",
      tvN: `tcpvs workers ${N}`,
      tv1: "tcpvs workers 1",
    };
    for (const k of ["hapN", "tvN", "hap1", "tv1"] as const) {
      console.log(
        `| ${name[k]} | ${median(all[k]!.map((x) => x.rps)).toFixed(0)} | ${median(all[k]!.map((x) => x.cpuUs)).toFixed(1)} |`,
      );
    }
    console.log(
      `\nreq/s tcpvs/haproxy at ${N}: ${ratio("tvN", "hapN", (x) => x.rps)}; at 1: ${ratio("tv1", "hap1", (x) => x.rps)}` +
        `\nscaling (req/s at ${N} / at 1): tcpvs ${ratio("tvN", "tv1", (x) => x.rps)}, haproxy ${ratio("hapN", "hap1", (x) => x.rps)}` +
        `\nCPU/req tcpvs ${N} over tcpvs 1: ${ratio("tvN", "tv1", (x) => x.cpuUs)}`,
    );
  }
  const loaded = { tv1: rssKiB(c.tv1.pid), tvN: rssKiB(c.tvN.pid) };
  const per = (a: number, b: number) => ((a - b) / (N - 1) / 1024).toFixed(1);
  console.log(
    `\nRSS: tcpvs workers 1 ${(idle.tv1 / 1024).toFixed(1)} MiB idle, ${(loaded.tv1 / 1024).toFixed(1)} MiB after; ` +
      `workers ${N} ${(idle.tvN / 1024).toFixed(1)} MiB idle, ${(loaded.tvN / 1024).toFixed(1)} MiB after; ` +
      `per extra worker ${per(idle.tvN, idle.tv1)} MiB idle, ${per(loaded.tvN, loaded.tv1)} MiB after load`,
  );
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
