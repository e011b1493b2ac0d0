// Test fixtures for the switch: real backends on 127.0.0.1 (counting what reaches them), a tiny
// round-robin scheduler behind the real interface, config builders, and a raw HTTP client.

import type { Socket } from "bun";
import type { Endpoint, PoolConfig, VirtualServerConfig } from "../../core/config/types.ts";
import type { RequestHead } from "../../core/http/head.ts";
import { HttpParser } from "../../core/http/parser.ts";
import { memoryLogger } from "../../core/log/logger.ts";
import type { CookieInsert } from "../../core/sched/cookie-persistence.ts";
import { createPoolScheduling } from "../../core/sched/registry.ts";
import type { Scheduler } from "../../core/sched/types.ts";
import { Cluster, PoolState, ServerState } from "../../core/state/cluster.ts";
import type { Out } from "../../core/switch/out.ts";
import { Switch, type SwitchOptions } from "../../core/switch/switch.ts";

export function inet(port: number, host = "127.0.0.1"): Endpoint {
  return { kind: "inet", host, port, family: 4, text: `${host}:${port}` };
}

/** Round robin over up servers with weight > 0; backups only when no primary is eligible. */
export function roundRobin(pool: PoolState): Scheduler {
  let next = 0;
  const eligible = (backup: boolean) => {
    const list = pool.servers;
    for (let k = 0; k < list.length; k++) {
      const s = list[(next + k) % list.length]!;
      if (
        s.up &&
        s.weight > 0 &&
        s.backup === backup &&
        (s.maxConnections === 0 || s.active < s.maxConnections)
      ) {
        next = (next + k + 1) % list.length;
        return s;
      }
    }
    return undefined;
  };
  return { name: "rr", pick: () => eligible(false) ?? eligible(true), update: () => {} };
}

export interface BackendReply {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Send this exact text instead of building a response. */
  raw?: string;
  /** Do not answer at all. */
  silent?: boolean;
  delayMs?: number;
}

export type BackendHandler = (req: RequestHead, body: Buffer, b: TestBackend) => BackendReply | undefined;

interface BConn {
  parser: HttpParser<RequestHead>;
  body: Buffer[];
  head: RequestHead | undefined;
}

export class TestBackend {
  readonly name: string;
  accepts = 0;
  bytes = 0;
  readonly requests: RequestHead[] = [];
  readonly bodies: string[] = [];
  readonly sockets = new Set<Socket<BConn>>();
  private readonly listener: import("bun").TCPSocketListener<BConn>;
  handler: BackendHandler | undefined;

  constructor(name: string, handler?: BackendHandler) {
    this.name = name;
    this.handler = handler;
    this.listener = Bun.listen<BConn>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open: (s) => {
          this.accepts++;
          this.sockets.add(s);
          const c: BConn = {
            body: [],
            head: undefined,
            parser: undefined as unknown as HttpParser<RequestHead>,
          };
          c.parser = new HttpParser<RequestHead>("request", {
            onHead: (h) => {
              c.head = h;
              c.body = [];
            },
            onData: (b, st, e) => {
              c.body.push(Buffer.from(b.subarray(st, e)));
            },
            onEnd: () => this.answer(s, c.head!, Buffer.concat(c.body)),
          });
          s.data = c;
        },
        data: (s, d) => {
          this.bytes += d.length;
          const err = s.data.parser.execute(d);
          if (err) s.end(`HTTP/1.1 400 Bad\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
        },
        close: (s) => {
          this.sockets.delete(s);
        },
        error: () => {},
      },
    });
  }

  get port(): number {
    return this.listener.port;
  }

  private answer(s: Socket<BConn>, h: RequestHead, body: Buffer): void {
    this.requests.push(h);
    this.bodies.push(body.toString());
    const r = this.handler?.(h, body, this) ?? {};
    if (r.silent) return;
    const send = () => {
      if (r.raw !== undefined) {
        s.write(r.raw);
        return;
      }
      const b = r.body ?? `hello from ${this.name} ${h.target}`;
      const bb = typeof b === "string" ? Buffer.from(b) : b;
      let head = `HTTP/1.1 ${r.status ?? 200} OK\r\ncontent-length: ${bb.length}\r\n`;
      for (const [k, v] of Object.entries(r.headers ?? {})) head += `${k}: ${v}\r\n`;
      s.write(Buffer.concat([Buffer.from(`${head}\r\n`), h.method === "HEAD" ? Buffer.alloc(0) : bb]));
    };
    if (r.delayMs) setTimeout(send, r.delayMs);
    else send();
  }

  /** Close every open connection (as a server timing out idle keep-alive connections does). */
  closeAll(): void {
    for (const s of this.sockets) s.end();
  }

  stop(): void {
    this.listener.stop(true);
  }
}

export function vsConfig(over: Partial<VirtualServerConfig> = {}): VirtualServerConfig {
  return {
    name: "web",
    listen: [inet(0)],
    mode: "http",
    pool: "web",
    rule: [],
    max_connections: 1000,
    client_header_timeout: 5000,
    client_keepalive_timeout: 5000,
    idle_timeout: 5000,
    server_connect_timeout: 2000,
    server_response_timeout: 5000,
    server_timeout: 5000,
    client_timeout: 5000,
    max_header_size: 8192,
    max_headers: 100,
    max_body_size: 0,
    retries: 2,
    x_forwarded_for: true,
    x_forwarded_proto: true,
    forwarded: false,
    proxy_protocol: 0,
    upgrade_protocols: ["websocket"],
    access_log: false,
    error_pages: {},
    limit: [],
    max_connections_per_source: 0,
    worker_by_source: false,
    accept_proxy: [],
    ...over,
  };
}

export function poolConfig(
  name: string,
  servers: Array<{ id: string; port: number }>,
  over: Partial<PoolConfig> = {},
): PoolConfig {
  return {
    name,
    scheduler: "rr",
    scheduler_options: {},
    persistence_timeout: 0,
    persistence_granularity: "",
    quorum: 0,
    hysteresis: 0,
    inhibit_on_failure: false,
    omega: false,
    server: servers.map((s) => ({
      name: s.id,
      address: inet(s.port),
      weight: 1,
      backup: false,
      max_connections: 0,
    })),
    check: [],
    ...over,
  };
}

export interface Rig {
  sw: Switch;
  cluster: Cluster;
  port: number;
  backends: TestBackend[];
  lines: string[];
  /** Every finished request as the metrics saw it (`cut`: why a response was cut short). */
  observed: Array<{ vs: string; pool: string | undefined; status: number; cut: string | undefined }>;
  stop(): Promise<void>;
}

/** A switch with one virtual server over pools of test backends. */
export async function rig(
  pools: Record<string, TestBackend[]>,
  vs: Partial<VirtualServerConfig> = {},
  poolOver: Record<string, Partial<PoolConfig>> = {},
  swOver: Partial<SwitchOptions> = {},
): Promise<Rig> {
  const cluster = new Cluster();
  const cfgs: Record<string, PoolConfig> = {};
  const scheds = new Map<string, Scheduler>();
  const cookies = new Map<string, CookieInsert>();
  for (const [name, bs] of Object.entries(pools)) {
    const servers = bs.map((b) => new ServerState(name, b.name, `127.0.0.1:${b.port}`, 1));
    const ps = new PoolState(name, servers);
    cluster.pools.set(name, ps);
    cfgs[name] = poolConfig(
      name,
      bs.map((b) => ({ id: b.name, port: b.port })),
      poolOver[name],
    );
    // A pool that asks for a scheduler option gets the real scheduling (cookie persistence ...).
    if (poolOver[name]?.scheduler_options || poolOver[name]?.scheduler) {
      const ps2 = createPoolScheduling(cfgs[name]!, ps.servers);
      scheds.set(name, ps2.scheduler);
      if (ps2.cookie) cookies.set(name, ps2.cookie);
    } else scheds.set(name, roundRobin(ps));
  }
  const { logger, lines } = memoryLogger("info");
  const observed: Rig["observed"] = [];
  const sw = new Switch({
    observe: (vs, pool, status, _s, cut?: string) => {
      observed.push({ vs, pool, status, cut });
    },
    cluster,
    schedulerFor: (p) => scheds.get(p),
    cookieFor: (p) => cookies.get(p),
    log: logger,
    pools: cfgs,
    tickMs: 20,
    ...swOver,
  });
  const cfg = vsConfig(vs);
  await sw.listen(cfg);
  const all = [...new Set(Object.values(pools).flat())];
  return {
    sw,
    cluster,
    port: sw.ports(cfg.name)[0]!,
    backends: all,
    lines,
    observed,
    stop: async () => {
      await sw.close(0);
      for (const b of all) b.stop();
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Send raw bytes on one connection and collect `count` responses (or until the server closes).
 * Resolves with the responses, whether the server closed, and the raw text.
 */
export async function exchange(
  port: number,
  wire: string | Uint8Array | Array<string | Uint8Array>,
  opts: { count?: number; method?: string; timeoutMs?: number; halfClose?: boolean; gapMs?: number } = {},
): Promise<{ responses: RawResponse[]; closed: boolean; raw: string }> {
  const count = opts.count ?? 1;
  const responses: RawResponse[] = [];
  let raw = "";
  let closed = false;
  let cur: RawResponse | undefined;
  let done!: () => void;
  const finished = new Promise<void>((r) => {
    done = r;
  });
  const parser = new HttpParser<import("../../core/http/head.ts").ResponseHead>("response", {
    onHead: (h) => {
      if (h.status < 200) return;
      cur = {
        status: h.status,
        headers: Object.fromEntries(h.names.map((n, i) => [n, h.values[i]!])),
        body: "",
      };
    },
    onData: (b, s, e) => {
      if (cur) cur.body += b.toString("latin1", s, e);
    },
    onEnd: () => {
      if (cur) responses.push(cur);
      cur = undefined;
      if (responses.length >= count) done();
    },
  });
  parser.requestMethod = opts.method ?? "GET";
  const sock = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    allowHalfOpen: true,
    socket: {
      data: (_s, d) => {
        raw += d.toString("latin1");
        parser.execute(d);
      },
      close: () => {
        closed = true;
        parser.finish();
        done();
      },
      end: (s) => {
        closed = true;
        parser.finish();
        s.end();
        done();
      },
      drain: () => {
        const w = drained;
        drained = undefined;
        w?.();
      },
      error: () => {},
    },
  });
  let drained: (() => void) | undefined;
  const parts = Array.isArray(wire) ? wire : [wire];
  for (const p of parts) {
    // Bun's write is unbuffered: what the kernel did not take must be written again after drain.
    let rest = typeof p === "string" ? Buffer.from(p, "latin1") : p;
    for (let i = 0; i < 100_000 && rest.byteLength > 0 && !closed; i++) {
      const n = sock.write(rest);
      if (n < 0) break;
      rest = rest.subarray(n);
      if (rest.byteLength > 0)
        await new Promise<void>((res) => {
          drained = res;
          setTimeout(res, 200);
        });
    }
    // Parts arrive as separate reads: the pause lets tcpvs act on each before the next.
    if (parts.length > 1) await Bun.sleep(opts.gapMs ?? 5);
  }
  if (opts.halfClose) sock.shutdown();
  const timer = setTimeout(done, opts.timeoutMs ?? 3000);
  await finished;
  clearTimeout(timer);
  const wasClosed = closed;
  sock.end();
  return { responses, closed: wasClosed, raw };
}

export const GET = (path = "/", extra = "") => `GET ${path} HTTP/1.1\r\nHost: t.example\r\n${extra}\r\n`;

/** An Out whose "socket" takes every byte and records it. */
export function recordingOut(out: Out): { out: Out; text: () => string } {
  let got = "";
  out.sock = {
    write: (b: string | Uint8Array, off = 0, len?: number) => {
      const bytes = typeof b === "string" ? Buffer.from(b, "latin1") : Buffer.from(b);
      const end = len === undefined ? bytes.length : off + len;
      got += bytes.toString("latin1", off, end);
      return end - off;
    },
  } as unknown as Out["sock"];
  return { out, text: () => got };
}
