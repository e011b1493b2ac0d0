// What the daemon integration tests share: a real `tcpvs` child process (Bun on cmd/main.ts) with its
// output collected, real backends on 127.0.0.1, free ports, temp dirs, and config text builders.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server, Subprocess } from "bun";
import { parseConfig } from "../../core/config/load.ts";
import type { Daemon } from "../../core/daemon/daemon.ts";
import { serveDaemon } from "../../core/daemon/serve-role.ts";
import type { WorkerPool } from "../../core/daemon/worker-pool.ts";
import { memoryLogger } from "../../core/log/logger.ts";

export const BUN = process.execPath;
export const MAIN = join(import.meta.dir, "../../cmd/main.ts");

/** A port nobody listens on right now (bound then released; good enough on loopback in tests). */
export function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

export function tempDir(prefix = "tcpvs-d-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Proc {
  proc: Subprocess;
  lines: string[];
  /** Resolves with the exit code once the output has been read. */
  done: Promise<number>;
}

/** Start `prefix... argv`, collecting stdout and stderr lines. */
export function spawnLines(argv: string[], env?: Record<string, string>): Proc {
  const proc = Bun.spawn(argv, {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1", ...env },
  });
  const lines: string[] = [];
  const pump = async (s: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    let rest = "";
    for await (const chunk of s) {
      rest += dec.decode(chunk, { stream: true });
      const parts = rest.split("\n");
      rest = parts.pop() ?? "";
      lines.push(...parts);
    }
    if (rest) lines.push(rest);
  };
  const done = Promise.all([pump(proc.stdout as ReadableStream), pump(proc.stderr as ReadableStream)]).then(
    () => proc.exited,
  );
  return { proc, lines, done };
}

/** `tcpvs ARGS` as a child process. */
export function spawnTcpvs(args: string[]): Proc {
  return spawnLines([BUN, MAIN, ...args]);
}

/** Run `tcpvs ARGS` to completion (bounded). */
export async function runTcpvs(
  args: string[],
  timeoutMs = 10_000,
  cwd?: string,
): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn([BUN, MAIN, ...args], { stdout: "pipe", stderr: "pipe", cwd, env: { ...process.env } });
  const timer = setTimeout(() => p.kill(9), timeoutMs);
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  clearTimeout(timer);
  return { code, out, err };
}

/** Wait until a line matching `re` appears at or after `from`; returns its index. */
export async function waitLine(p: Proc, re: RegExp, timeoutMs: number, from = 0): Promise<number> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const i = p.lines.findIndex((l, k) => k >= from && re.test(l));
    if (i >= 0) return i;
    if (p.proc.exitCode !== null) {
      // Exited: give the pipes a moment to deliver the last lines, then look once more.
      await Promise.race([p.done, Bun.sleep(500)]);
      const j = p.lines.findIndex((l, k) => k >= from && re.test(l));
      if (j >= 0) return j;
      throw new Error(`exited ${p.proc.exitCode} before a line matching ${re}:\n${p.lines.join("\n")}`);
    }
    await Bun.sleep(20);
  }
  throw new Error(`no line matching ${re} within ${timeoutMs} ms; got:\n${p.lines.slice(-30).join("\n")}`);
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await cond()) return Date.now() - start;
    await Bun.sleep(25);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Wait for exit, killing with SIGKILL after `ms` so a hung daemon never outlives the test. */
export async function exitWithin(p: Proc, ms: number): Promise<number | "timeout"> {
  const t = await Promise.race([p.done, Bun.sleep(ms).then(() => "timeout" as const)]);
  if (t === "timeout") {
    p.proc.kill(9);
    await p.proc.exited;
  }
  return t;
}

export function killIfRunning(p: Proc | undefined): void {
  if (p && p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill(9);
}

/** An HTTP backend answering its name; `delay` paths (prefix /slow) answer after delayMs. */
export interface Backend {
  name: string;
  server: Server<undefined>;
  address: string;
  hits: number;
  /** Health checks answered (not counted in hits). */
  checks: number;
  slowStarted: number;
  stop(): void;
}

export function backend(name: string, delayMs = 1000): Backend {
  const b: Backend = {
    name,
    hits: 0,
    checks: 0,
    slowStarted: 0,
    address: "",
    server: undefined as unknown as Server<undefined>,
    stop: () => b.server.stop(true),
  };
  b.server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === "/health") {
        b.checks++;
        return new Response("ok");
      }
      b.hits++;
      if (path === "/missing") return new Response("no\n", { status: 404 });
      if (path === "/unavailable") return new Response("busy\n", { status: 503 });
      if (path.startsWith("/slow")) {
        b.slowStarted++;
        await Bun.sleep(delayMs);
      }
      return new Response(`${name}\n`, { headers: { "x-backend": name } });
    },
  });
  b.address = `127.0.0.1:${b.server.port}`;
  return b;
}

export interface ConfigOptions {
  port: number;
  control: string;
  backends: Backend[];
  metricsPort?: number;
  checkInterval?: string;
  tokenFile?: string;
  grace?: string;
  /** Appended verbatim (extra pools, virtual servers, vrrp sections). */
  extra?: string;
  /** Extra lines inside the first [[virtual_server]] (rules). */
  vsExtra?: string;
  /** `[global] workers`; unset: the default ("auto"). Pin 1 only where a test needs one data path. */
  workers?: number;
}

export function configText(o: ConfigOptions): string {
  const servers = o.backends
    .map((b) => `  [[pool.app.server]]\n  name = "${b.name}"\n  address = "${b.address}"\n`)
    .join("\n");
  return `[global]
control = "${o.control}"
${o.tokenFile ? `control_token_file = "${o.tokenFile}"\n` : ""}${o.metricsPort ? `metrics = "127.0.0.1:${o.metricsPort}"\n` : ""}grace = "${o.grace ?? "5s"}"
${o.workers ? `workers = ${o.workers}\n` : ""}
[[virtual_server]]
name = "web"
listen = ["127.0.0.1:${o.port}"]
mode = "http"
pool = "app"
${o.vsExtra ?? ""}
[pool.app]
scheduler = "rr"
${servers}
  [pool.app.check]
  type = "http"
  path = "/health"
  interval = "${o.checkInterval ?? "300ms"}"
  timeout = "200ms"
  rise = 1
  fall = 1
${o.extra ?? ""}`;
}

export function writeConfig(dir: string, text: string, name = "tcpvs.toml"): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** One `tcpvs status ... --json` run parsed. */
export async function statusJson(control: string, extra: string[] = []): Promise<StatusLite> {
  const r = await runTcpvs(["status", "--json", "--control", control, ...extra]);
  if (r.code !== 0) throw new Error(`status exited ${r.code}: ${r.err}`);
  return JSON.parse(r.out) as StatusLite;
}

export interface StatusLite {
  role: string | null;
  pools: Array<{
    name: string;
    quorum_up: boolean;
    servers: Array<{
      name: string;
      state: string;
      up: boolean;
      drained: boolean;
      requests_total: number;
      errors_total: number;
      responses_5xx_total: number;
      active_connections: number;
    }>;
    sorry_server: {
      address: string;
      requests_total: number;
      connections_total: number;
      errors_total: number;
      active_connections: number;
    } | null;
  }>;
  vrrp: Array<{ name: string; state: string; priority: number; master: string | null; held: boolean }>;
  counters: Record<string, number>;
  virtual_servers: Array<{ name: string; listen: string[] }>;
  workers: Array<{ id: number; connections: number; requests: number }>;
}

/** GET through curl-less fetch with keep-alive off; returns status and body. */
export async function get(url: string): Promise<{ status: number; body: string }> {
  const r = await fetch(url, { headers: { connection: "close" } });
  return { status: r.status, body: await r.text() };
}

/** `tcpvs serve -c FILE` started and serving (its "tcpvs serving" line seen). */
export async function startServe(file: string, extra: string[] = []): Promise<Proc> {
  const p = spawnTcpvs(["serve", "-c", file, ...extra]);
  try {
    await waitLine(p, /tcpvs serving/, 15_000);
  } catch (e) {
    killIfRunning(p);
    throw e;
  }
  return p;
}

/** One raw HTTP/1.1 keep-alive connection: send GETs one at a time, read the Content-Length body. */
export class KeepAlive {
  private buf = "";
  private waiter: (() => void) | undefined;
  closed = false;
  private constructor(private readonly sock: import("bun").Socket<undefined>) {}

  static async open(port: number): Promise<KeepAlive> {
    let ka: KeepAlive | undefined;
    const sock = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data(_s, d) {
          if (!ka) return;
          ka.buf += d.toString();
          ka.waiter?.();
        },
        close() {
          if (!ka) return;
          ka.closed = true;
          ka.waiter?.();
        },
      },
    });
    ka = new KeepAlive(sock);
    return ka;
  }

  async get(path: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
    if (this.closed) throw new Error("keep-alive connection closed before the request");
    this.sock.write(`GET ${path} HTTP/1.1\r\nHost: test\r\n\r\n`);
    const end = Date.now() + timeoutMs;
    for (;;) {
      const head = this.buf.indexOf("\r\n\r\n");
      if (head >= 0) {
        const len = Number(/content-length:\s*(\d+)/i.exec(this.buf.slice(0, head))?.[1] ?? "0");
        if (this.buf.length >= head + 4 + len) {
          const status = Number(this.buf.slice(9, 12));
          const body = this.buf.slice(head + 4, head + 4 + len);
          this.buf = this.buf.slice(head + 4 + len);
          return { status, body };
        }
      }
      if (this.closed) throw new Error(`connection closed mid-response: ${JSON.stringify(this.buf)}`);
      if (Date.now() > end) throw new Error(`no response within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        this.waiter = r;
        setTimeout(r, 50);
      });
    }
  }

  close(): void {
    this.sock.end();
  }
}

/** A steady trickle of requests until stopped; counts outcomes. */
export function steadyLoad(url: string, everyMs = 10) {
  const r = { ok: 0, failed: 0, errors: [] as string[], stop: async () => {} };
  let running = true;
  const loop = (async () => {
    const end = Date.now() + 60_000;
    while (running && Date.now() < end) {
      try {
        const res = await fetch(url, { headers: { connection: "close" } });
        await res.text();
        if (res.status === 200) r.ok++;
        else {
          r.failed++;
          r.errors.push(`status ${res.status}`);
        }
      } catch (e) {
        r.failed++;
        r.errors.push(String(e));
      }
      await Bun.sleep(everyMs);
    }
  })();
  r.stop = async () => {
    running = false;
    await loop;
  };
  return r;
}

/** The nice value of each thread of a process, by thread id (field 19 of /proc/PID/task/TID/stat). */
export function threadNice(pid: number | "self" = "self"): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "latin1");
      out.set(Number(tid), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/**
 * `tcpvs serve` in this process over the config `text()` gives (read again at each SIGHUP-style reload),
 * with data-path workers whose reports come only on demand, so a status query must fetch what they
 * counted. The caller stops it.
 */
export async function serveInProcess(
  text: () => string,
  o: { workers?: number; tickMs?: number } = {},
): Promise<{ d: Daemon; pool: WorkerPool; lines: string[] }> {
  const { logger, lines } = memoryLogger("info");
  const d = serveDaemon({
    file: "test.toml",
    config: parseConfig(text(), "test.toml"),
    hash: "h",
    log: logger,
    version: "test",
    workers: o.workers ?? 2,
    workerOptions: { reportMs: 60_000, ...(o.tickMs ? { tickMs: o.tickMs } : {}) },
    reloadSource: () => ({ config: parseConfig(text(), "test.toml"), hash: "h2" }),
  });
  await d.start();
  return { d, pool: d.service<WorkerPool>("switch")!, lines };
}
