// Two figures from issue 14, each for tcpvs beside HAProxy 2.6 measured the same way:
// - "idle": memory per idle keep-alive client connection. N clients (default 9,000) each make one
//   request through the proxy and then stay connected, saying nothing. Per connection: the proxy's
//   RSS growth / N; the kernel's, from /proc/slabinfo (socket, inode, file, dentry and epoll slabs)
//   divided by 2N (on loopback the client's socket is in the same kernel); and for tcpvs where its
//   bytes go: the switch alone in a child process dumps its JS heap after a full GC (object counts by
//   type) before and after, the rest of its RSS growth is native (Bun's socket structures, malloc).
// - "nofile": CPU while out of descriptors. Each proxy under `ulimit -n 256`: (a) wrk -c400 for S
//   seconds: CPU time used (from /proc), requests served, non-2xx responses and socket errors; (b) 400
//   clients that wait: 150 send half a request head and stay, 250 send a whole request; CPU time over
//   S seconds while they wait, then the 150 leave and the 250 are counted as served or not.
// The machine is shared (2 cores, other work running): figures are noisy; run it more than once.
// - "post": as "idle" with N/4 clients whose one request is a POST of 16 KiB: what an idle connection
//   keeps of its last request.
// Usage: bun bench/idle.ts [clients=9000] [seconds=5] [scenario: idle|post|nofile|all]

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Socket } from "bun";

// 9,000 rather than 10,000: the hard RLIMIT_NOFILE here is 20,000 (no CAP_SYS_RESOURCE to raise it),
// and tcpvs's ceiling from it, (20000 - reserve) / 2, is just under 10,000.
const N = Number(process.argv[2] ?? 9_000);
const NOFILE = 20_000;
const SECONDS = Number(process.argv[3] ?? 5);
const which = process.argv[4] ?? "all";
// Below the ephemeral range (32768-60999): 10,000 client sockets must not take a listener's port.
const base = 12000 + Math.floor(Math.random() * 4000) * 2;
const ports = { nginx: base, haproxy: base + 1, tcpvs: base + 2 };
const dir = mkdtempSync(join(tmpdir(), "tcpvs-idle-"));
const MAIN = join(import.meta.dir, "../cmd/main.ts");
const CHILD = join(import.meta.dir, "../test/switch/fixtures/switch-child.ts");
const procs: ReturnType<typeof Bun.spawn>[] = [];

function spawn(cmd: string[], nofile: number): ReturnType<typeof Bun.spawn> {
  const p = Bun.spawn(["bash", "-c", `ulimit -n ${nofile} && exec "$@"`, "bash", ...cmd], {
    stdout: "pipe",
    stderr: "pipe",
  });
  procs.push(p);
  return p;
}

function stop(p: ReturnType<typeof Bun.spawn>): Promise<number> {
  p.kill(9);
  return p.exited;
}

function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "latin1"));
  return Number(m?.[1] ?? 0) * 1024;
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

const SLABS = ["TCP", "sock_inode_cache", "filp", "dentry", "eventpoll_epi", "eventpoll_pwq"];

/** Bytes in the kernel slabs a TCP connection's descriptor uses. */
function slabBytes(): number {
  let total = 0;
  for (const line of readFileSync("/proc/slabinfo", "latin1").split("\n")) {
    const f = line.split(/\s+/);
    if (SLABS.includes(f[0]!)) total += Number(f[1]) * Number(f[3]);
  }
  return total;
}

async function waitPort(port: number, p?: ReturnType<typeof Bun.spawn>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (p && p.exitCode !== null) {
      const err = await new Response(p.stderr as ReadableStream).text();
      throw new Error(`The contender on port ${port} exited ${p.exitCode}: ${err}`);
    }
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

/** One keep-alive client: one request, then idle. Resolves once the whole response is in. */
/** The request each idle client makes: a GET, or with `post` a POST with a 16 KiB body. */
let REQUEST = "GET / HTTP/1.1\r\nHost: bench\r\n\r\n";
const POST = `POST / HTTP/1.1\r\nHost: bench\r\nContent-Length: 16384\r\n\r\n${"x".repeat(16384)}`;

function idleClient(port: number, held: Socket<undefined>[]): Promise<boolean> {
  return new Promise((resolve) => {
    let got = "";
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open: (s) => {
          held.push(s);
          s.write(REQUEST);
        },
        data: (_s, d) => {
          got += d.toString("latin1");
          if (got.endsWith("hello\n")) resolve(got.startsWith("HTTP/1.1 200"));
        },
        close: () => resolve(false),
        error: () => resolve(false),
      },
    }).catch(() => resolve(false));
  });
}

async function fill(port: number, n: number, held: Socket<undefined>[]): Promise<number> {
  let ok = 0;
  for (let i = 0; i < n; i += 50) {
    const batch = Array.from({ length: Math.min(50, n - i) }, () => idleClient(port, held));
    for (const r of await Promise.all(batch)) if (r) ok++;
  }
  return ok;
}

async function warm(port: number): Promise<void> {
  const held: Socket<undefined>[] = [];
  await fill(port, 200, held);
  for (const s of held) s.end();
  await Bun.sleep(500);
}

/** The switch child's memory dump (SIGUSR2). */
async function dump(p: ReturnType<typeof Bun.spawn>, lines: string[]): Promise<Record<string, unknown>> {
  const before = lines.length;
  p.kill("SIGUSR2");
  for (let i = 0; i < 200; i++) {
    const l = lines.slice(before).find((x) => x.startsWith("memory "));
    if (l) return JSON.parse(l.slice(7));
    await Bun.sleep(25);
  }
  throw new Error("the switch child printed no memory line");
}

function collect(p: ReturnType<typeof Bun.spawn>): string[] {
  const lines: string[] = [];
  void (async () => {
    let rest = "";
    for await (const c of p.stdout as ReadableStream<Uint8Array>) {
      rest += new TextDecoder().decode(c);
      const parts = rest.split("\n");
      rest = parts.pop() ?? "";
      lines.push(...parts);
    }
  })();
  return lines;
}

const kb = (b: number) => `${(b / 1024).toFixed(2)} KB`;

async function idleOne(
  name: string,
  start: () => Promise<ReturnType<typeof Bun.spawn>>,
  port: number,
  n = N,
) {
  const p = await start();
  await waitPort(port, p);
  await warm(port);
  const r0 = rss(p.pid);
  const k0 = slabBytes();
  const held: Socket<undefined>[] = [];
  const ok = await fill(port, n, held);
  await Bun.sleep(1000);
  const r1 = rss(p.pid);
  const k1 = slabBytes();
  console.log(
    `${name.padEnd(22)} served ${ok}/${n}  RSS ${kb(r0)} -> ${kb(r1)}: ${kb((r1 - r0) / n)} per idle connection; ` +
      `kernel slabs ${kb((k1 - k0) / (2 * n))} per socket`,
  );
  for (const s of held) s.end();
  await stop(p);
  await Bun.sleep(500);
  return (r1 - r0) / n;
}

async function breakdown(): Promise<void> {
  const p = spawn([process.execPath, CHILD, String(ports.nginx), String(N * 2)], NOFILE);
  const lines = collect(p);
  for (let i = 0; i < 200 && !lines.some((l) => l.startsWith("port ")); i++) await Bun.sleep(25);
  const port = Number(lines.find((l) => l.startsWith("port "))?.slice(5));
  await warm(port);
  const m0 = await dump(p, lines);
  const held: Socket<undefined>[] = [];
  const ok = await fill(port, N, held);
  await Bun.sleep(1000);
  const m1 = await dump(p, lines);
  const d = (k: string) => ((m1[k] as number) - (m0[k] as number)) / N;
  console.log(
    `tcpvs switch alone      served ${ok}/${N}  RSS ${kb(d("rss"))} per idle connection: ` +
      `JS heap ${kb(d("heapSize"))} (${d("objectCount").toFixed(1)} objects), ` +
      `native (Bun's sockets, malloc) ${kb(d("rss") - d("heapSize"))}`,
  );
  const t0 = m0.types as Record<string, number>;
  const t1 = m1.types as Record<string, number>;
  const types = Object.keys(t1)
    .map((t) => [t, ((t1[t] ?? 0) - (t0[t] ?? 0)) / N] as const)
    .filter(([, n]) => n >= 0.5)
    .sort((a, b) => b[1] - a[1]);
  console.log(`  JS objects per connection: ${types.map(([t, n]) => `${t} ${n.toFixed(1)}`).join(", ")}`);
  for (const s of held) s.end();
  await stop(p);
}

function haproxyConf(port: number, maxconn: number | undefined): string {
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

function tcpvsConf(port: number, maxConnections: number): string {
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

async function nofileOne(name: string, p: ReturnType<typeof Bun.spawn>, port: number): Promise<void> {
  await waitPort(port, p);
  await Bun.sleep(300);
  const c0 = cpuSeconds(p.pid);
  const w = Bun.spawn(
    ["wrk", "-t2", "-c400", `-d${SECONDS}s`, "--timeout", "20s", `http://127.0.0.1:${port}/`],
    {
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const out = await new Response(w.stdout).text();
  await w.exited;
  const used = cpuSeconds(p.pid) - c0;
  const total = Number(/([0-9]+) requests in/.exec(out)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: ([0-9]+)/.exec(out)?.[1] ?? 0);
  const errors = /Socket errors: (.*)/.exec(out)?.[1] ?? "none";
  console.log(
    `${name.padEnd(22)} CPU ${used.toFixed(2)} s in ${SECONDS} s (${((used / SECONDS) * 100).toFixed(0)}% of a core); ` +
      `${total} requests, non-2xx ${non2xx}, socket errors: ${errors}`,
  );
  await stop(p);
  await Bun.sleep(500);
}

async function nofileWaiting(name: string, p: ReturnType<typeof Bun.spawn>, port: number): Promise<void> {
  await waitPort(port, p);
  await Bun.sleep(300);
  const holders: Socket<undefined>[] = [];
  const statuses: Promise<string>[] = [];
  const connect = (text: string, hold: boolean) =>
    new Promise<string>((resolve) => {
      let got = "";
      Bun.connect({
        hostname: "127.0.0.1",
        port,
        socket: {
          open: (s) => {
            if (hold) holders.push(s);
            s.write(text);
          },
          data: (_s, d) => {
            got += d.toString("latin1");
            if (got.length >= 12) resolve(got.slice(9, 12));
          },
          close: () => resolve(got.slice(9, 12) || "closed"),
          error: () => resolve("error"),
        },
      }).catch(() => resolve("refused"));
    });
  for (let i = 0; i < 150; i++) void connect("GET / HTTP/1.1\r\n", true);
  for (let i = 0; i < 250; i++)
    statuses.push(connect("GET / HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n", false));
  await Bun.sleep(1000);
  const c0 = cpuSeconds(p.pid);
  await Bun.sleep(SECONDS * 1000);
  const used = cpuSeconds(p.pid) - c0;
  for (const h of holders) h.end();
  const all = await Promise.race([Promise.all(statuses), Bun.sleep(20_000).then(() => [] as string[])]);
  const tally: Record<string, number> = {};
  for (const st of all) tally[st] = (tally[st] ?? 0) + 1;
  console.log(
    `${name.padEnd(22)} CPU ${used.toFixed(2)} s in ${SECONDS} s while 400 clients wait; ` +
      `then the 250: ${all.length ? JSON.stringify(tally) : "not all answered within 20 s"}`,
  );
  await stop(p);
  await Bun.sleep(500);
}

async function main(): Promise<void> {
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
  const nofile = NOFILE;
  // HAProxy wants 2 x maxconn descriptors: as many as the limit allows, above N.
  writeFileSync(join(dir, "haproxy.cfg"), haproxyConf(ports.haproxy, Math.floor((NOFILE - 200) / 2)));
  writeFileSync(join(dir, "tcpvs.toml"), tcpvsConf(ports.tcpvs, N * 2));
  if (which === "all" || which === "idle") {
    console.log(`Idle keep-alive clients: ${N}, one request each (nofile ${nofile} for each proxy)`);
    const hap = await idleOne(
      "haproxy 2.6",
      async () => spawn(["haproxy", "-f", join(dir, "haproxy.cfg")], nofile),
      ports.haproxy,
    );
    const tv = await idleOne(
      "tcpvs serve",
      async () => spawn([process.execPath, MAIN, "serve", "-c", join(dir, "tcpvs.toml")], nofile),
      ports.tcpvs,
    );
    console.log(`tcpvs/haproxy RSS per idle connection: ${(tv / hap).toFixed(2)}`);
    await breakdown();
  }
  if (which === "all" || which === "post") {
    // The request a connection made last must not stay in memory while it idles.
    const n = Math.floor(N / 4);
    console.log(`\nIdle keep-alive clients: ${n}, one POST of 16 KiB each`);
    REQUEST = POST;
    const hap = await idleOne(
      "haproxy 2.6",
      async () => spawn(["haproxy", "-f", join(dir, "haproxy.cfg")], nofile),
      ports.haproxy,
      n,
    );
    const tv = await idleOne(
      "tcpvs serve",
      async () => spawn([process.execPath, MAIN, "serve", "-c", join(dir, "tcpvs.toml")], nofile),
      ports.tcpvs,
      n,
    );
    console.log(`tcpvs/haproxy RSS per idle connection after a POST: ${(tv / hap).toFixed(2)}`);
    REQUEST = "GET / HTTP/1.1\r\nHost: bench\r\n\r\n";
  }
  if (which === "all" || which === "nofile") {
    console.log(`\nOut of descriptors: ulimit -n 256, wrk -c400 for ${SECONDS} s`);
    writeFileSync(join(dir, "haproxy-256.cfg"), haproxyConf(ports.haproxy, undefined));
    writeFileSync(join(dir, "tcpvs-256.toml"), tcpvsConf(ports.tcpvs, 10_000));
    await nofileOne(
      "haproxy 2.6",
      spawn(["haproxy", "-f", join(dir, "haproxy-256.cfg")], 256),
      ports.haproxy,
    );
    await nofileOne(
      "tcpvs serve",
      spawn([process.execPath, MAIN, "serve", "-c", join(dir, "tcpvs-256.toml")], 256),
      ports.tcpvs,
    );
    console.log(`Out of descriptors: ulimit -n 256, 400 clients waiting (150 mid-head, 250 whole requests)`);
    await nofileWaiting(
      "haproxy 2.6",
      spawn(["haproxy", "-f", join(dir, "haproxy-256.cfg")], 256),
      ports.haproxy,
    );
    await nofileWaiting(
      "tcpvs serve",
      spawn([process.execPath, MAIN, "serve", "-c", join(dir, "tcpvs-256.toml")], 256),
      ports.tcpvs,
    );
  }
}

try {
  await main();
} finally {
  for (const p of procs) p.kill(9);
  rmSync(dir, { recursive: true, force: true });
}
