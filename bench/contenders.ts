// What the bench scenarios that pit `tcpvs serve` against HAProxy 2.6 share: a temp dir, free ports
// below the ephemeral range, an nginx backend answering "hello", both proxies' configs, and reading a
// process's RSS and CPU time from /proc. Each process gets its own RLIMIT_NOFILE through `ulimit -n`.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitPort } from "./proc-stats.ts";

/** The hard RLIMIT_NOFILE on the measuring machine (no CAP_SYS_RESOURCE to raise it). */
export const NOFILE = 20_000;
// Below the ephemeral range (32768-60999): 10,000 client sockets must not take a listener's port.
const base = 12000 + Math.floor(Math.random() * 4000) * 2;
export const ports = { nginx: base, haproxy: base + 1, tcpvs: base + 2 };
export const dir = mkdtempSync(join(tmpdir(), "tcpvs-bench-"));
export const MAIN = join(import.meta.dir, "../cmd/main.ts");
const procs: ReturnType<typeof Bun.spawn>[] = [];

export function spawn(cmd: string[], nofile: number): ReturnType<typeof Bun.spawn> {
  const p = Bun.spawn(["bash", "-c", `ulimit -n ${nofile} && exec "$@"`, "bash", ...cmd], {
    stdout: "pipe",
    stderr: "pipe",
  });
  procs.push(p);
  return p;
}

export function stop(p: ReturnType<typeof Bun.spawn>): Promise<number> {
  p.kill(9);
  return p.exited;
}

export { waitPort };

export function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "latin1"));
  return Number(m?.[1] ?? 0) * 1024;
}

export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** One keep-alive client: one request, then idle. Resolves once the whole response is in. */
export function haproxyConf(port: number, maxconn: number | undefined): string {
  return `global
  nbthread 1
${maxconn ? `  maxconn ${maxconn}\n` : ""}defaults
  mode http
  timeout connect 5s
  timeout client 600s
  timeout server 30s
  timeout http-keep-alive 600s
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  http-reuse always
  server n1 127.0.0.1:${ports.nginx}
`;
}

export function tcpvsConf(port: number, maxConnections: number): string {
  return `[global]
control = "unix:${dir}/control-${port}.sock"
log_level = "warn"
[[virtual_server]]
name = "http"
listen = ["127.0.0.1:${port}"]
pool = "web"
max_connections = ${maxConnections}
client_keepalive_timeout = "600s"
[pool.web]
scheduler = "rr"
  [[pool.web.server]]
  address = "127.0.0.1:${ports.nginx}"
`;
}

/** Start the nginx backend (every request: 200 "hello\n"). */
export async function startBackend(): Promise<void> {
  writeFileSync(
    join(dir, "nginx.conf"),
    `daemon off; master_process off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/nginx.err warn;
events { worker_connections 19000; }
http { access_log off; keepalive_requests 1000000; keepalive_timeout 600s;
  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  server { listen 127.0.0.1:${ports.nginx} backlog=4096; location / { return 200 "hello\\n"; } } }`,
  );
  const ng = spawn(["nginx", "-c", join(dir, "nginx.conf"), "-p", dir], NOFILE);
  await waitPort(ports.nginx, ng);
}

/** Write a config file into the temp dir; returns its path. */
export function writeConf(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Run `main`, then kill every process started and remove the temp dir. */
export async function run(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } finally {
    for (const p of procs) p.kill(9);
    rmSync(dir, { recursive: true, force: true });
  }
}
