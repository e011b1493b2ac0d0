// The socket edge of the control channel: a WebSocket on a unix socket (0600) or a loopback TCP port.
// Authentication happens on the upgrade (Authorization: Bearer), browsers are refused by their Origin
// header, frames are size- and rate-limited per connection, open connections are capped. Every refusal
// is logged, rate-limited per kind (control-refusals.ts). Everything else is ControlHandler.

import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, unlinkSync } from "node:fs";
import { connect } from "node:net";
import { dirname } from "node:path";
import type { Server, ServerWebSocket } from "bun";
import type { Endpoint } from "../config/types.ts";
import { log as defaultLog, type Logger } from "../log/logger.ts";
import { type ControlGroup, openToGroup } from "./control-group.ts";
import { ControlRefusals } from "./control-refusals.ts";
import { ControlError } from "./control-error.ts";
import { type AccessLevel, ControlHandler, type ControlProvider } from "./control-handler.ts";
import { credFromHeader, PEER_HEADER, PeerCredGate } from "./peer-cred-gate.ts";
import { eventJson } from "./event-json.ts";
import {
  CONTROL_PATH,
  MAX_MESSAGE_BYTES,
  PROTOCOL_VERSION,
  parseRequest,
  type ServerFrame,
} from "./protocol.ts";
import { RateLimiter } from "./rate-limiter.ts";
import { bearerToken, tokensEqual } from "./token.ts";
import { isLoopback, parseIp } from "../net/ip.ts";
import { hostPort } from "../net/endpoint.ts";

export interface ControlServerOptions {
  endpoint: Endpoint;
  provider: ControlProvider;
  /** Required for a TCP endpoint that is not loopback; checked on every connection when set. */
  token?: string;
  allowRemote?: boolean;
  maxMessageBytes?: number;
  rate?: { perSecond: number; burst: number };
  /** Open connections at most (default 64); more are refused with 503. */
  maxConnections?: number;
  /** [global] control_group: the unix socket is 0660 for this group, whose members may only read. */
  group?: ControlGroup;
  /** Refusals of one kind log one line per this interval, with the count (default 10000 ms). */
  refusalLogIntervalMs?: number;
  logger?: Logger;
}

interface Conn {
  peer: string;
  /** What the peer may do: read (status, watch) or everything. */
  level: AccessLevel;
  bucket: RateLimiter;
  strikes: number;
  unsubscribe: (() => void) | undefined;
}

/** A watcher this far behind is cut off rather than buffered without bound. */
const MAX_BUFFERED = 1 << 20;
const MAX_STRIKES = 50;
const MAX_CONNECTIONS = 64;
const DEFAULT_RATE = { perSecond: 50, burst: 100 };
/** What Bun's server reports when a frame exceeds maxPayloadLength (close code 1006, not 1009). */
const TOO_BIG = "Received too big message";
/** Errors that refuse the message itself, not an answer to a valid request. */
const BAD_MESSAGE = new Set(["bad_request", "bad_version", "unknown_method"]);

export function isLoopbackHost(host: string): boolean {
  const ip = parseIp(host);
  return ip !== undefined && isLoopback(ip);
}

/** Refuse an endpoint the config may not use; the daemon calls this before binding. */
export function checkControlEndpoint(ep: Endpoint, token: string | undefined, allowRemote: boolean): void {
  if (ep.kind === "unix" || isLoopbackHost(ep.host)) return;
  if (!allowRemote) {
    throw new ControlError(
      "bad_config",
      `Use a unix socket or loopback address for control, not "${ep.text}" (or set global.control_allow_remote)`,
    );
  }
  if (!token) {
    throw new ControlError("bad_config", `Set global.control_token_file: control on "${ep.text}" is remote`);
  }
}

/** Is something accepting connections on this unix socket? */
function socketAlive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ path });
    const timer = setTimeout(() => {
      s.destroy();
      resolve(true);
    }, 1000);
    s.once("connect", () => {
      clearTimeout(timer);
      s.destroy();
      resolve(true);
    });
    s.once("error", () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

async function prepareUnixPath(path: string): Promise<void> {
  const dir = dirname(path);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!existsSync(path)) return;
  if (!lstatSync(path).isSocket()) {
    throw new ControlError(
      "bad_config",
      `Remove "${path}" or choose another control path: it is not a socket`,
    );
  }
  if (await socketAlive(path)) {
    throw new ControlError("bad_config", `Stop the daemon already serving "${path}" first`);
  }
  unlinkSync(path);
}

export class ControlServer {
  private server: Server<Conn> | undefined;
  private readonly handler: ControlHandler;
  private readonly opts: ControlServerOptions;
  private readonly logger: Logger;
  private readonly conns = new Set<ServerWebSocket<Conn>>();
  private readonly refusals: ControlRefusals;
  private seq = 0;
  /** On a unix socket: accepts connections first and learns the peer's real credentials. */
  private gate: PeerCredGate | undefined;

  private constructor(opts: ControlServerOptions) {
    this.opts = opts;
    this.logger = (opts.logger ?? opts.provider.logger ?? defaultLog).child({ subsystem: "control" });
    this.handler = new ControlHandler({ ...opts.provider, logger: opts.provider.logger ?? opts.logger });
    this.refusals = new ControlRefusals(this.logger, { intervalMs: opts.refusalLogIntervalMs ?? 10_000 });
  }

  static async start(opts: ControlServerOptions): Promise<ControlServer> {
    checkControlEndpoint(opts.endpoint, opts.token, opts.allowRemote ?? false);
    const cs = new ControlServer(opts);
    await cs.listen();
    return cs;
  }

  /** Where clients connect, as endpoint text. */
  get address(): string {
    const ep = this.opts.endpoint;
    if (ep.kind === "unix") return `unix:${ep.path}`;
    return hostPort(ep.host, this.server?.port ?? ep.port);
  }

  get connections(): number {
    return this.conns.size;
  }

  private async listen(): Promise<void> {
    const ep = this.opts.endpoint;
    const maxBytes = this.opts.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    const websocket = {
      maxPayloadLength: maxBytes,
      open: (ws: ServerWebSocket<Conn>) => {
        this.conns.add(ws);
        this.logger.debug("control client connected", { peer: ws.data.peer });
      },
      message: (ws: ServerWebSocket<Conn>, msg: string | Buffer) => {
        void this.onMessage(ws, msg);
      },
      close: (ws: ServerWebSocket<Conn>, code: number, reason: string) => {
        this.conns.delete(ws);
        ws.data.unsubscribe?.();
        ws.data.unsubscribe = undefined;
        if (code === 1009 || reason === TOO_BIG)
          this.refusals.refuse("frame_too_large", ws.data.peer, `a frame over ${maxBytes} bytes`, {
            limit: maxBytes,
          });
        this.logger.debug("control client left", { peer: ws.data.peer, code, reason });
      },
    };
    const fetch = (req: Request, server: Server<Conn>) => this.upgrade(req, server);
    if (ep.kind === "unix") {
      await prepareUnixPath(ep.path);
      // The WebSocket server listens on a private socket; the gate on the public path relays to it,
      // telling it each peer's SO_PEERCRED credentials.
      rmSync(`${ep.path}.d`, { recursive: true, force: true });
      const privatePath = `${PeerCredGate.privateDir(ep.path)}/ws.sock`;
      this.gate = new PeerCredGate({
        publicPath: ep.path,
        privatePath,
        onRefuse: (why) => this.refusals.refuse("no_credentials", "unix", why),
      });
      // Bind with a tight umask so the sockets are never, even briefly, open to others.
      const old = process.umask(0o177);
      try {
        this.server = Bun.serve<Conn>({ unix: privatePath, fetch, websocket });
        await this.gate.listen();
      } finally {
        process.umask(old);
      }
      chmodSync(privatePath, 0o600);
      chmodSync(ep.path, 0o600);
      if (this.opts.group) {
        const done = openToGroup(ep.path, dirname(ep.path), this.opts.group);
        this.logger.info("control channel readable by a group: its members may read, not act", {
          group: this.opts.group.name,
          changed: done,
        });
      }
    } else {
      this.server = Bun.serve<Conn>({ hostname: ep.host, port: ep.port, fetch, websocket });
    }
    if (ep.kind === "inet" && !this.opts.token) {
      this.logger.warn("control channel on TCP without a token: any local user can steer", {
        address: ep.text,
      });
    }
    this.logger.info("control channel listening", { address: this.address });
  }

  private upgrade(req: Request, server: Server<Conn>): Response | undefined {
    const r = this.answerUpgrade(req, server);
    // Behind the gate, only a connection's first request carries its credentials: a refused one
    // closes the connection, so a second request on it cannot arrive without them.
    if (r && this.gate) r.headers.set("connection", "close");
    return r;
  }

  private answerUpgrade(req: Request, server: Server<Conn>): Response | undefined {
    const url = new URL(req.url);
    const ip = server.requestIP(req);
    const who = (req.headers.get("x-tcpvs-client") ?? "").replace(/[^\w.@:-]/g, "").slice(0, 64);
    let peer = ip ? `${ip.address}:${ip.port}` : `unix#${++this.seq}${who ? `(${who})` : ""}`;
    // Who connected, from the kernel (SO_PEERCRED, through the gate), not from what the client says.
    const cred = this.gate ? credFromHeader(req.headers.get(PEER_HEADER), this.gate.secret) : undefined;
    if (cred)
      peer = `unix#${this.seq} uid=${cred.uid}(${userName(cred.uid)}) gid=${cred.gid} pid=${cred.pid}${who ? ` declares ${who}` : ""}`;
    if (url.pathname !== CONTROL_PATH) {
      this.refusals.refuse("not_found", peer, `path ${JSON.stringify(url.pathname.slice(0, 64))}`);
      return new Response("not found\n", { status: 404 });
    }
    // A browser always sends Origin on a WebSocket upgrade; our own client never does.
    const origin = req.headers.get("origin");
    if (origin !== null) {
      this.refusals.refuse("forbidden_origin", peer, `Origin ${JSON.stringify(origin.slice(0, 64))}`);
      return new Response("browsers may not use the control channel\n", { status: 403 });
    }
    if (this.opts.token) {
      const given = bearerToken(req.headers.get("authorization"));
      if (!given || !tokensEqual(given, this.opts.token)) {
        this.refusals.refuse("bad_token", peer, given ? "the token does not match" : "no Bearer token");
        return new Response("bad token\n", { status: 401 });
      }
    }
    let level: AccessLevel = "admin";
    if (this.gate) {
      if (!cred) {
        this.refusals.refuse("no_credentials", peer, "a connection that did not come through the gate");
        return new Response("forbidden\n", { status: 403 });
      }
      const self = process.getuid?.() ?? 0;
      level = cred.uid === 0 || cred.uid === self ? "admin" : "read";
    }
    const max = this.opts.maxConnections ?? MAX_CONNECTIONS;
    if (this.conns.size >= max) {
      this.refusals.refuse("too_many_connections", peer, `${max} open already`, { limit: max });
      return new Response("too many control connections\n", { status: 503 });
    }
    const rate = this.opts.rate ?? DEFAULT_RATE;
    const data: Conn = {
      peer,
      level,
      bucket: new RateLimiter(rate.perSecond, rate.burst, Date.now()),
      strikes: 0,
      unsubscribe: undefined,
    };
    if (server.upgrade(req, { data })) return undefined;
    this.refusals.refuse("not_websocket", peer, `${req.method} without a WebSocket upgrade`);
    return new Response("upgrade to WebSocket\n", { status: 426 });
  }

  private send(ws: ServerWebSocket<Conn>, frame: ServerFrame): void {
    if (ws.getBufferedAmount() > MAX_BUFFERED) {
      // Once per connection: sends go on failing while it closes.
      if (ws.readyState === 1)
        this.refusals.refuse("too_slow", ws.data.peer, `over ${MAX_BUFFERED} bytes waiting to be read`);
      ws.close(1008, "too slow");
      return;
    }
    ws.send(JSON.stringify(frame));
  }

  private async onMessage(ws: ServerWebSocket<Conn>, msg: string | Buffer): Promise<void> {
    const c = ws.data;
    if (!c.bucket.take(Date.now())) {
      if (++c.strikes >= MAX_STRIKES) {
        this.refusals.refuse("flooding", c.peer, `${MAX_STRIKES} messages refused for the rate limit`);
        ws.close(1008, "rate limit");
        return;
      }
      const rate = this.opts.rate ?? DEFAULT_RATE;
      this.refusals.refuse("rate_limited", c.peer, `over ${rate.perSecond}/s (burst ${rate.burst})`);
      this.send(ws, error(peekId(msg), new ControlError("rate_limited", "Slow down: too many requests")));
      return;
    }
    let id: number | string | null = null;
    try {
      if (typeof msg !== "string") throw new ControlError("bad_request", "Send text frames, not binary");
      const parsed = parseRequest(msg);
      id = parsed.id;
      const req = parsed.request;
      if (req.method === "subscribe" && !c.unsubscribe) {
        c.unsubscribe = this.opts.provider.cluster.subscribe((event) => {
          this.send(ws, { v: PROTOCOL_VERSION, event: eventJson(event) });
        });
      } else if (req.method === "unsubscribe") {
        c.unsubscribe?.();
        c.unsubscribe = undefined;
      }
      const result = await this.handler.handle(req, c.peer, c.level);
      this.send(ws, { v: PROTOCOL_VERSION, id, ok: true, result });
    } catch (e) {
      if (e instanceof ControlError && BAD_MESSAGE.has(e.code))
        this.refusals.refuse("bad_message", c.peer, e.message);
      this.send(ws, error(id, e));
    }
  }

  async stop(): Promise<void> {
    this.refusals.close();
    for (const ws of this.conns) ws.close(1001, "shutting down");
    await this.gate?.stop();
    this.gate = undefined;
    await this.server?.stop(true);
    this.server = undefined;
    const ep = this.opts.endpoint;
    if (ep.kind === "unix" && existsSync(ep.path)) {
      try {
        unlinkSync(ep.path);
      } catch {
        // Already gone: nothing to clean.
      }
    }
  }
}

/** A uid's name from /etc/passwd, or "?" (for the audit line; the uid itself is what counts). */
function userName(uid: number): string {
  try {
    for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
      const [name, , id] = line.split(":");
      if (name && Number(id) === uid && id !== "") return name;
    }
  } catch {
    // No passwd file to read: the uid alone names the peer.
  }
  return "?";
}

/** The id of a refused frame, so the client can match the refusal to its request. */
function peekId(msg: string | Buffer): number | string | null {
  try {
    const id = (JSON.parse(String(msg)) as { id?: unknown }).id;
    return typeof id === "number" || typeof id === "string" ? id : null;
  } catch {
    return null;
  }
}

function error(id: number | string | null, e: unknown): ServerFrame {
  if (e instanceof ControlError) {
    return { v: PROTOCOL_VERSION, id: e.id ?? id, ok: false, error: { code: e.code, message: e.message } };
  }
  const message = e instanceof Error ? e.message : String(e);
  return { v: PROTOCOL_VERSION, id, ok: false, error: { code: "action_failed", message } };
}
