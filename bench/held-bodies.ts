// Held request bodies under fire (issue 14): N client connections each send the head of a chunked
// POST and 60 KiB of body, and never the last chunk. A proxy that holds bodies before choosing a server
// must not let this grow its memory without bound. Measured: the proxy's RSS before the flood, at its
// peak while the bodies hang, and 2 s after the last byte was sent; for tcpvs also the held-bytes gauge
// and the clients left unread. Contenders, one after the other in each round (fresh processes):
//   - tcpvs with its default budget ([global] max_held_bytes = 64 MiB);
//   - tcpvs with a budget too large to matter (4 GiB): what the same code holds unbounded;
//   - HAProxy 2.6 with `option http-buffer-request` at its default tune.bufsize (16 KiB): it waits for
//     the body up to one buffer, then connects to the server and forwards;
//   - HAProxy with tune.bufsize 65536, so the 60 KiB body fits its buffer and is held whole, as tcpvs.
// Every contender gets the same clients, the same backend and a 30 s header/request timeout (longer
// than the test, so nothing is cut while it is measured). The client and the backend are this file run
// as child processes, so their memory is not the proxy's. 2 cores shared with other work: noisy.
// Usage: bun bench/held-bodies.ts [connections=5000] [rounds=1]

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Socket } from "bun";
import { waitPort } from "./proc-stats.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const BODY = 60 * KiB;

// ---- child roles ----

/** The backend: accepts, reads and discards, never answers (no body ever completes). */
async function backend(): Promise<void> {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {}, error() {} } });
  console.log(l.port);
  await new Promise(() => {});
}

/** The flood: `n` connections, each a chunked head and BODY bytes of chunks, no last chunk. */
async function flood(port: number, n: number): Promise<void> {
  // Exactly BODY bytes of payload in chunks of at most 8 KiB (under tcpvs's 64 KiB hold bound).
  let piece = "";
  for (let sent = 0; sent < BODY; sent += 8 * KiB) {
    const size = Math.min(8 * KiB, BODY - sent);
    piece += `${size.toString(16)}\r\n${"x".repeat(size)}\r\n`;
  }
  const wire = Buffer.from(
    `POST /upload HTTP/1.1\r\nHost: bench\r\nTransfer-Encoding: chunked\r\n\r\n${piece}`,
  );
  let written = 0;
  let failed = 0;
  const socks: Socket<{ rest: Buffer }>[] = [];
  const push = (s: Socket<{ rest: Buffer }>) => {
    const w = s.write(s.data.rest);
    if (w > 0) {
      written += w;
      s.data.rest = s.data.rest.subarray(w);
    }
  };
  for (let i = 0; i < n; i += 250) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 250); j++) {
      batch.push(
        Bun.connect<{ rest: Buffer }>({
          hostname: "127.0.0.1",
          port,
          data: { rest: wire },
          socket: { open: push, drain: push, data() {}, error() {} },
        }).then(
          (s) => socks.push(s),
          () => failed++,
        ),
      );
    }
    await Promise.all(batch);
  }
  await Bun.sleep(500);
  console.log(JSON.stringify({ connected: socks.length, failed, written }));
  await new Promise(() => {});
}

// ---- the harness ----

function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * KiB : Number.NaN;
}

async function firstLine(p: ReturnType<typeof Bun.spawn>): Promise<string> {
  const reader = (p.stdout as ReadableStream<Uint8Array>).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return text.trim();
}

interface Figures {
  name: string;
  before: number;
  peak: number;
  after: number;
  connected: number;
  written: number;
  extra: string;
}

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

async function run(
  name: string,
  cmd: string[],
  port: number,
  n: number,
  metricsPort?: number,
): Promise<Figures> {
  // 20000 descriptors: the clients, the server connections and room to spare.
  const proc = Bun.spawn(["sh", "-c", 'ulimit -n 20000 && exec "$@"', "sh", ...cmd], {
    stdout: "ignore",
    stderr: "inherit",
  });
  try {
    await waitPort(port);
    await Bun.sleep(1000);
    const before = rss(proc.pid);
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rss(proc.pid));
    }, 50);
    const client = Bun.spawn(
      [
        "sh",
        "-c",
        'ulimit -n 20000 && exec "$@"',
        "sh",
        process.execPath,
        import.meta.path,
        "--flood",
        String(port),
        String(n),
      ],
      { stdout: "pipe", stderr: "inherit" },
    );
    const report = JSON.parse(await firstLine(client)) as { connected: number; written: number };
    await Bun.sleep(2000);
    const after = rss(proc.pid);
    clearInterval(sampler);
    peak = Math.max(peak, after);
    let extra = "";
    if (metricsPort !== undefined) {
      const held = await metric(metricsPort, "tcpvs_held_bytes");
      const waiting = await metric(metricsPort, "tcpvs_held_waiting_connections");
      extra = `held ${(held / MiB).toFixed(1)} MiB, ${waiting} clients unread`;
    }
    client.kill();
    await client.exited;
    return { name, before, peak, after, connected: report.connected, written: report.written, extra };
  } finally {
    proc.kill();
    await proc.exited;
  }
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 5000);
  const rounds = Number(process.argv[3] ?? 1);
  const dir = mkdtempSync(join(tmpdir(), "tcpvs-held-"));
  const be = Bun.spawn([process.execPath, import.meta.path, "--backend"], { stdout: "pipe" });
  const bePort = Number(await firstLine(be));
  const base = 21000 + Math.floor(Math.random() * 4000) * 2;
  const tcpvsConf = (port: number, metrics: number, max: string) => `[global]
control = "unix:${dir}/control-${port}.sock"
log_level = "warn"
metrics = "127.0.0.1:${metrics}"
max_held_bytes = "${max}"
[[virtual_server]]
name = "held"
listen = ["127.0.0.1:${port}"]
pool = "app"
max_connections = 15000
client_header_timeout = "30s"
[pool.app]
scheduler = "rr"
  [[pool.app.server]]
  name = "b1"
  address = "127.0.0.1:${bePort}"
`;
  const haproxyConf = (port: number, bufsize: number) => `global
  nbthread 1
  maxconn 9000
  tune.bufsize ${bufsize}
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  timeout http-request 30s
frontend fe
  bind 127.0.0.1:${port}
  option http-buffer-request
  default_backend be
backend be
  server b1 127.0.0.1:${bePort}
`;
  const main = join(import.meta.dir, "../cmd/main.ts");
  const all: Figures[][] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      const results: Figures[] = [];
      let p = base;
      for (const [label, max] of [
        ["tcpvs, max_held_bytes 64MiB (default)", "64MiB"],
        ["tcpvs, max_held_bytes 4GiB (unbounded)", "4GiB"],
      ] as const) {
        const port = p++;
        const mport = p++;
        const file = join(dir, `tcpvs-${port}.toml`);
        writeFileSync(file, tcpvsConf(port, mport, max));
        results.push(await run(label, [process.execPath, main, "serve", "-c", file], port, n, mport));
      }
      for (const [label, bufsize] of [
        ["haproxy 2.6, http-buffer-request, bufsize 16k", 16384],
        ["haproxy 2.6, http-buffer-request, bufsize 64k", 65536],
      ] as const) {
        const port = p++;
        const file = join(dir, `haproxy-${port}.cfg`);
        writeFileSync(file, haproxyConf(port, bufsize));
        results.push(await run(label, ["haproxy", "-f", file], port, n));
      }
      all.push(results);
      print(n, r, results);
    }
  } finally {
    be.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

function print(n: number, round: number, rs: Figures[]): void {
  const mb = (b: number) => (b / MiB).toFixed(1).padStart(7);
  console.log(
    `\nround ${round + 1}: ${n} connections x ${BODY / KiB} KiB chunked body, no last chunk (RSS in MiB)`,
  );
  console.log(`${"contender".padEnd(48)} before    peak   after  growth  per conn  sent`);
  for (const r of rs) {
    const growth = r.after - r.before;
    console.log(
      `${r.name.padEnd(48)}${mb(r.before)} ${mb(r.peak)} ${mb(r.after)} ${mb(growth)} ${(growth / Math.max(1, r.connected) / KiB).toFixed(1).padStart(6)} KiB ${(r.written / MiB).toFixed(0)} MiB ${r.extra}`,
    );
  }
  const t = rs[0]!;
  for (const h of rs.slice(2)) {
    console.log(
      `growth ratio tcpvs(default)/${h.name}: ${((t.after - t.before) / (h.after - h.before)).toFixed(2)}`,
    );
  }
}

if (process.argv[2] === "--backend") await backend();
else if (process.argv[2] === "--flood") await flood(Number(process.argv[3]), Number(process.argv[4]));
else await main();
