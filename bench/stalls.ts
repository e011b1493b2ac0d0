// Stalls in the middle of an exchange (issue 14), tcpvs beside HAProxy 2.6, both with every timeout at
// 1 s: tcpvs server_timeout, client_timeout and server_response_timeout; HAProxy timeout server and
// timeout client. Three cases, one client each:
//   - head then nothing: the server sends a response head and a few bytes of a 100 kB body, then no more;
//   - client not reading: the server streams 256 MiB as fast as it is taken, the client reads a little
//     and stops;
//   - body stalls: the client sends Content-Length 100000 and 1,000 bytes, then nothing.
// Printed: how long until the proxy closed the client's connection (for the client that stopped reading,
// the proxy's own figure: tcpvs's ms=, HAProxy's Tt), what the client received first, and the proxy's
// log line for the request (tcpvs's access line with term=, HAProxy's httplog line with its
// termination state). The backend and the clients run in this process. Timings include the proxy's
// timer resolution (tcpvs ticks every 100 ms); 2 shared cores: noisy by tens of ms.
// Usage: bun bench/stalls.ts

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Socket } from "bun";
import { waitPort } from "./proc-stats.ts";

const BIG = 256 * 1024 * 1024;
const piece = Buffer.alloc(64 * 1024, 120);

/** The backend: /stall sends a head and stops, /big streams BIG bytes, anything else is never answered. */
function backend(): number {
  const pump = (s: Socket<{ left: number }>) => {
    while (s.data.left > 0) {
      const n = s.write(piece, 0, Math.min(piece.length, s.data.left));
      if (n <= 0) return;
      s.data.left -= n;
    }
  };
  const l = Bun.listen<{ left: number }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open: (s) => {
        s.data = { left: 0 };
      },
      data: (s, d) => {
        const head = d.toString("latin1", 0, 16);
        if (head.startsWith("GET /stall")) s.write("HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\nfirst");
        else if (head.startsWith("GET /big")) {
          s.write(`HTTP/1.1 200 OK\r\ncontent-length: ${BIG}\r\n\r\n`);
          s.data.left = BIG;
          pump(s);
        }
      },
      drain: (s) => pump(s),
      error: () => {},
    },
  });
  return l.port;
}

interface Outcome {
  closedMs: number;
  first: string;
}

/** Send `wire`, stop reading after the first bytes when `stopReading`, and time the close. */
async function client(port: number, wire: string, stopReading: boolean): Promise<Outcome> {
  let first = "";
  let closedAt = 0;
  let got = 0;
  const t0 = performance.now();
  const s = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data: (_s, d) => {
        if (got === 0) first = d.toString("latin1", 0, Math.min(d.length, 40)).split("\r\n")[0]!;
        got += d.length;
      },
      close: () => {
        closedAt = performance.now();
      },
      error: () => {},
    },
  });
  s.write(wire);
  if (stopReading) {
    for (let i = 0; i < 200 && got === 0; i++) await Bun.sleep(5);
    s.pause();
    // A paused socket does not see the close: look again after the timeouts had their chance.
    await Bun.sleep(3000);
    s.resume();
  }
  for (let i = 0; i < 1000 && closedAt === 0; i++) await Bun.sleep(10);
  s.end();
  return { closedMs: closedAt === 0 ? Number.NaN : closedAt - t0, first };
}

const CASES = [
  { name: "head then nothing", wire: "GET /stall HTTP/1.1\r\nHost: b\r\n\r\n", stop: false },
  { name: "client not reading", wire: "GET /big HTTP/1.1\r\nHost: b\r\n\r\n", stop: true },
  {
    name: "body stalls",
    wire: `POST /up HTTP/1.1\r\nHost: b\r\nContent-Length: 100000\r\n\r\n${"x".repeat(1000)}`,
    stop: false,
  },
];

/** Collect a child's output lines as they come. */
function lines(stream: ReadableStream<Uint8Array>): string[] {
  const out: string[] = [];
  let rest = "";
  void (async () => {
    for await (const chunk of stream) {
      rest += new TextDecoder().decode(chunk);
      const parts = rest.split("\n");
      rest = parts.pop()!;
      out.push(...parts);
    }
  })();
  return out;
}

async function contender(name: string, cmd: string[], port: number, logOf: (l: string) => boolean) {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const out: string[] = [];
  const a = lines(p.stdout as ReadableStream<Uint8Array>);
  const b = lines(p.stderr as ReadableStream<Uint8Array>);
  try {
    await waitPort(port);
    for (const c of CASES) {
      const o = await client(port, c.wire, c.stop);
      await Bun.sleep(300);
      const log = [...a, ...b].filter(logOf);
      // A paused client sees a graceful close only once it reads again: the proxy's log has the time.
      const when = c.stop
        ? "client paused: time in log"
        : Number.isNaN(o.closedMs)
          ? "not closed"
          : `closed after ${o.closedMs.toFixed(0).padStart(5)} ms`;
      out.push(
        `${name.padEnd(8)} ${c.name.padEnd(20)} ${when.padEnd(26)} got "${o.first}"`,
        `${"".padEnd(30)}log: ${log.at(-1) ?? "(none)"}`,
      );
    }
  } finally {
    p.kill();
    await p.exited;
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), "tcpvs-stalls-"));
const bePort = backend();
const base = 23000 + Math.floor(Math.random() * 3000) * 2;
try {
  writeFileSync(
    join(dir, "tcpvs.toml"),
    `[global]
control = "unix:${dir}/control.sock"
log_level = "info"
[[virtual_server]]
name = "stalls"
listen = ["127.0.0.1:${base}"]
pool = "app"
access_log = true
server_response_timeout = "1s"
server_timeout = "1s"
client_timeout = "1s"
[pool.app]
  [[pool.app.server]]
  name = "b1"
  address = "127.0.0.1:${bePort}"
`,
  );
  writeFileSync(
    join(dir, "haproxy.cfg"),
    `global
  log stdout format raw local0
defaults
  mode http
  log global
  option httplog
  timeout connect 5s
  timeout client 1s
  timeout server 1s
frontend fe
  bind 127.0.0.1:${base + 1}
  default_backend be
backend be
  server b1 127.0.0.1:${bePort}
`,
  );
  const main = join(import.meta.dir, "../cmd/main.ts");
  const t = await contender(
    "tcpvs",
    [process.execPath, main, "serve", "-c", join(dir, "tcpvs.toml")],
    base,
    (l) => / access /.test(l),
  );
  const h = await contender("haproxy", ["haproxy", "-f", join(dir, "haproxy.cfg")], base + 1, (l) =>
    / fe be\//.test(l),
  );
  console.log("every timeout 1 s; tcpvs: server_timeout, client_timeout, server_response_timeout");
  for (const l of [...t, ...h]) console.log(l);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
