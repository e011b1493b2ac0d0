// TCP mode: a byte relay between a client and one server, with half-close passed through (a FIN from
// one side becomes a FIN to the other once its queued bytes are out), backpressure both ways, an idle
// timeout and a retry on another server while the connect fails.

import type { Socket } from "bun";
import { ServerState } from "../state/cluster.ts";
import { log } from "../log/logger.ts";
import { Out } from "./out.ts";
import { proxyV1, proxyV2 } from "./proxy-protocol.ts";
import { fdShortage } from "../sys/fd-limit.ts";
import { localConnectError } from "./upstream.ts";
import type { LiveConn, VsRuntime } from "./runtime.ts";
import { faultReason } from "./server-fault.ts";
import { serverHandshakeReason } from "../tls/pool-tls.ts";

interface UpSide {
  conn: TcpRelay;
  attempt: number;
  /** TLS to the server: whether its certificate must verify. */
  verify?: boolean;
}

function guard(s: Socket<UpSide>, f: () => void): void {
  try {
    f();
  } catch (e) {
    log.error("Report this bug: a TCP relay handler failed", {
      error: e instanceof Error ? e.stack : String(e),
    });
    try {
      s.terminate();
    } catch {}
  }
}

const upHandlers = {
  open: (s: Socket<UpSide>) => guard(s, () => s.data.conn.onUpOpen(s, s.data.attempt)),
  data: (s: Socket<UpSide>, b: Buffer) => guard(s, () => s.data.conn.onUpData(b, s.data.attempt)),
  drain: (s: Socket<UpSide>) => guard(s, () => s.data.conn.onUpDrain(s.data.attempt)),
  end: (s: Socket<UpSide>) => guard(s, () => s.data.conn.onUpEof(s.data.attempt)),
  close: (s: Socket<UpSide>) => guard(s, () => s.data.conn.onUpClose(s.data.attempt)),
  connectError: (s: Socket<UpSide>, e: unknown) =>
    guard(s, () => s.data.conn.onUpConnectError(e, s.data.attempt)),
  error: () => {},
};

/** TLS to the server ([pool.NAME.tls]): the relay starts when the handshake ends, if it verified. */
const tlsUpHandlers = {
  ...upHandlers,
  open: () => {},
  handshake: (s: Socket<UpSide>, ok: boolean, err: Error | null) =>
    guard(s, () => {
      if (ok || s.data.verify === false) s.data.conn.onUpOpen(s, s.data.attempt);
      else {
        s.data.conn.onUpTlsFailed(s.data.attempt, serverHandshakeReason(err));
        s.terminate();
      }
    }),
};

export class TcpRelay implements LiveConn {
  private readonly rt: VsRuntime;
  private readonly sock: Socket<TcpRelay>;
  readonly out = new Out();
  private readonly upOut = new Out();
  private upSock: Socket<UpSide> | undefined = undefined;
  private server: ServerState | undefined = undefined;
  private attempt = 0;
  private tries = 0;
  private connected = false;
  private clientEof = false;
  private serverEof = false;
  private closed = false;
  deadline = 0;
  private tlsFailure: string | undefined = undefined;
  /** The pool: the virtual server's, or the one an SNI rule chose. */
  private readonly poolName: string;

  constructor(rt: VsRuntime, sock: Socket<TcpRelay>, pool = rt.cfg.pool) {
    this.rt = rt;
    this.sock = sock;
    this.poolName = pool;
    this.out.sock = sock;
    this.out.owner = this;
    this.upOut.owner = this;
    this.touch();
    this.connect();
  }

  /** Backpressure: a full side stops reading from the other one. */
  onOutBlocked(o: Out, blocked: boolean): void {
    const from = o === this.out ? this.upSock : this.sock;
    if (blocked) from?.pause();
    else from?.resume();
  }

  private touch(): void {
    this.deadline = this.rt.svc.now() + this.rt.cfg.idle_timeout;
  }

  private connect(): void {
    const svc = this.rt.svc;
    const poolName = this.poolName;
    const pool = this.rt.pool(poolName);
    let target: { server: ServerState; endpoint: import("../config/types.ts").Endpoint } | undefined;
    const picked = pool
      ? svc.schedulerFor(poolName)?.pick({ sourceIp: this.sock.remoteAddress, sourcePort: 0 })
      : undefined;
    const s = picked instanceof ServerState ? picked : picked && pool?.server(picked.id);
    let tls: import("bun").TLSOptions | undefined;
    if (s?.up) {
      const up = svc.upstream(poolName, s);
      target = { server: s, endpoint: up.endpoint };
      tls = up.tls;
    } else {
      const sorry = svc.sorry(poolName);
      if (sorry) target = { server: sorry.server, endpoint: sorry.upstream.endpoint };
    }
    if (!target) {
      svc.cluster.count("reject.no_server");
      this.destroy();
      return;
    }
    const short = fdShortage();
    if (short !== undefined) {
      this.localFail(short);
      return;
    }
    this.server = target.server;
    target.server.active++;
    target.server.totalConnections++;
    const attempt = ++this.attempt;
    this.deadline = svc.now() + this.rt.cfg.server_connect_timeout;
    const ep = target.endpoint;
    const data: UpSide = { conn: this, attempt, verify: tls?.rejectUnauthorized };
    const socket = tls ? tlsUpHandlers : upHandlers;
    try {
      const p =
        ep.kind === "unix"
          ? Bun.connect<UpSide>({ unix: ep.path, socket, data, allowHalfOpen: true, tls })
          : Bun.connect<UpSide>({
              hostname: ep.host,
              port: ep.port,
              socket,
              data,
              allowHalfOpen: true,
              tls,
            });
      p.catch(() => {});
    } catch {
      queueMicrotask(() => this.onUpClose(attempt));
    }
    const pp = this.rt.cfg.proxy_protocol;
    if (pp !== 0) {
      const sk = this.sock as unknown as { localAddress?: string; localPort?: number; remotePort?: number };
      const a = {
        srcIp: this.sock.remoteAddress,
        srcPort: sk.remotePort ?? 0,
        dstIp: sk.localAddress ?? "",
        dstPort: sk.localPort ?? 0,
      };
      this.upOut.write(pp === 1 ? proxyV1(a) : proxyV2(a));
    }
  }

  onUpOpen(s: Socket<UpSide>, attempt: number): void {
    if (attempt !== this.attempt || this.closed) {
      s.terminate();
      return;
    }
    this.connected = true;
    this.upSock = s;
    this.upOut.sock = s;
    s.setNoDelay(true);
    this.upOut.flush();
    if (this.clientEof) this.upOut.end(true);
    this.touch();
  }

  onUpData(b: Buffer, attempt: number): void {
    if (attempt !== this.attempt) return;
    this.out.write(b);
    this.touch();
  }

  onUpDrain(attempt: number): void {
    if (attempt === this.attempt) this.upOut.flush();
  }

  onUpEof(attempt: number): void {
    if (attempt !== this.attempt) return;
    this.serverEof = true;
    this.out.end(true);
    if (this.clientEof) this.finish();
  }

  /** No server was involved (out of descriptors ...): not a server error, and no other server is tried. */
  private localFail(code: string): void {
    this.rt.svc.cluster.count(`reject.local_${code.toLowerCase()}`);
    this.destroy();
  }

  onUpConnectError(err: unknown, attempt: number): void {
    if (attempt !== this.attempt || this.closed) return;
    const local = localConnectError(err);
    if (local === undefined) {
      this.onUpClose(attempt, (err as { code?: string } | undefined)?.code);
      return;
    }
    this.server!.active--;
    this.server!.totalConnections--;
    this.server = undefined;
    this.localFail(local);
  }

  /** The server's TLS handshake failed: like a refused connect, with the TLS reason. */
  onUpTlsFailed(attempt: number, reason: string): void {
    if (attempt === this.attempt) this.tlsFailure = reason;
  }

  /** `errno`: the connect's error code; "timeout" when the connect deadline ran out. */
  onUpClose(attempt: number, errno?: string): void {
    if (attempt !== this.attempt || this.closed) return;
    if (!this.connected) {
      // Refused or unreachable: nothing was relayed yet, another server may take it.
      this.server!.errors++;
      const reason =
        errno === "timeout"
          ? faultReason("connect_timeout")
          : faultReason("refused", this.tlsFailure ?? errno);
      this.tlsFailure = undefined;
      this.rt.svc.serverFault?.(this.rt.cfg.name, this.server!, reason);
      this.server!.active--;
      this.server = undefined;
      if (this.tries < this.rt.cfg.retries) {
        this.tries++;
        this.rt.svc.cluster.count("retry");
        this.upOut.reset();
        this.connect();
        return;
      }
      this.rt.svc.cluster.count("reject.server_unreachable");
      this.destroy();
      return;
    }
    this.serverEof = true;
    this.out.end();
    this.finish();
  }

  // Client side.
  onData(b: Buffer): void {
    this.upOut.write(b);
    this.touch();
  }

  onDrain(): void {
    this.out.flush();
  }

  onEof(): void {
    this.clientEof = true;
    if (this.connected) this.upOut.end(true);
    if (this.serverEof) this.finish();
  }

  onClose(): void {
    this.rt.conns.delete(this);
    this.finish();
    this.upSock?.end();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.server) {
      this.server.active--;
      this.server = undefined;
    }
  }

  onDeadline(_now: number): void {
    this.rt.svc.cluster.count(this.connected ? "timeout.idle" : "timeout.server_connect");
    if (!this.connected && !this.closed) {
      // Give up on this attempt; should it still open later, the attempt number no longer matches.
      this.onUpClose(this.attempt, "timeout");
      return;
    }
    this.destroy();
  }

  drain(): void {
    // A TCP stream has no request boundary: let it run until the grace period ends.
  }

  destroy(): void {
    this.finish();
    this.upSock?.terminate();
    this.sock.terminate();
  }
}
