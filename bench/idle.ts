// Memory per idle keep-alive client connection (issue 14), tcpvs beside HAProxy 2.6 measured the same
// way. N clients (default 9,000) each make one request through the proxy and then stay connected,
// saying nothing. Per connection: the proxy's RSS growth / N; the kernel's, from /proc/slabinfo
// (socket, inode, file, dentry and epoll slabs) divided by 2N (on loopback the client's socket is in
// the same kernel); and for tcpvs where its bytes go: the switch alone in a child process dumps its JS
// heap after a full GC (object counts by type) before and after, the rest of its RSS growth is native
// (Bun's socket structures, malloc). "post": N/4 clients whose one request is a POST of 16 KiB: what
// an idle connection keeps of its last request. 9,000 rather than 10,000: the hard RLIMIT_NOFILE here
// is 20,000 and tcpvs's ceiling from it, (20000 - reserve) / 2, is just under 10,000.
// The machine is shared (2 cores, other work running): figures are noisy; run it more than once.
// Usage: bun bench/idle.ts [clients=9000] [scenario: idle|post|all]

import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Socket } from "bun";
import {
  haproxyConf,
  MAIN,
  NOFILE,
  ports,
  rss,
  run,
  spawn,
  startBackend,
  stop,
  tcpvsConf,
  waitPort,
  writeConf,
} from "./contenders.ts";

const N = Number(process.argv[2] ?? 9_000);
const which = process.argv[3] ?? "all";
const CHILD = join(import.meta.dir, "../test/switch/fixtures/switch-child.ts");

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

async function main(): Promise<void> {
  await startBackend();
  // HAProxy wants 2 x maxconn descriptors: as many as the limit allows, above N.
  const hapConf = writeConf("haproxy.cfg", haproxyConf(ports.haproxy, Math.floor((NOFILE - 200) / 2)));
  const tvConf = writeConf("tcpvs.toml", tcpvsConf(ports.tcpvs, N * 2));
  const haproxy = async () => spawn(["haproxy", "-f", hapConf], NOFILE);
  const tcpvs = async () => spawn([process.execPath, MAIN, "serve", "-c", tvConf], NOFILE);
  if (which === "all" || which === "idle") {
    console.log(`Idle keep-alive clients: ${N}, one request each (nofile ${NOFILE} for each proxy)`);
    const hap = await idleOne("haproxy 2.6", haproxy, ports.haproxy);
    const tv = await idleOne("tcpvs serve", tcpvs, ports.tcpvs);
    console.log(`tcpvs/haproxy RSS per idle connection: ${(tv / hap).toFixed(2)}`);
    await breakdown();
  }
  if (which === "all" || which === "post") {
    // The request a connection made last must not stay in memory while it idles.
    const n = Math.floor(N / 4);
    console.log(`\nIdle keep-alive clients: ${n}, one POST of 16 KiB each`);
    REQUEST = POST;
    const hap = await idleOne("haproxy 2.6", haproxy, ports.haproxy, n);
    const tv = await idleOne("tcpvs serve", tcpvs, ports.tcpvs, n);
    console.log(`tcpvs/haproxy RSS per idle connection after a POST: ${(tv / hap).toFixed(2)}`);
  }
}

await run(main);
