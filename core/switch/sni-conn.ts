// SNI passthrough (TCP mode, sni rules, no [virtual_server.tls]): hold the client's first bytes until
// they make a whole TLS ClientHello, route by its server name, then hand the connection to a TCP relay
// that sends the server every byte, the ClientHello included. The wait is bounded by
// client_header_timeout and the bytes by CLIENT_HELLO_MAX; a client that is not TLS, sends no server
// name, or sends too much goes to the default pool unchanged.

import type { Socket } from "bun";
import { CLIENT_HELLO_MAX, readClientHello } from "../tls/client-hello.ts";
import type { LiveConn, VsRuntime } from "./runtime.ts";
import { TcpRelay } from "./tcp-relay.ts";

export class SniConn implements LiveConn {
  private readonly rt: VsRuntime;
  private readonly sock: Socket<SniConn | TcpRelay>;
  private buf: Buffer = Buffer.alloc(0);
  private eof = false;
  private done = false;
  deadline: number;

  constructor(rt: VsRuntime, sock: Socket<SniConn | TcpRelay>) {
    this.rt = rt;
    this.sock = sock;
    this.deadline = rt.svc.now() + rt.cfg.client_header_timeout;
  }

  onData(b: Buffer): void {
    if (this.done) return;
    this.buf = this.buf.length === 0 ? Buffer.from(b) : Buffer.concat([this.buf, b]);
    const v = readClientHello(this.buf);
    switch (v.kind) {
      case "more":
        if (this.buf.length >= CLIENT_HELLO_MAX) this.handOff(undefined, "tls.sni.too_big");
        return;
      case "hello":
        this.handOff(v.serverName, v.serverName ? "tls.sni.routed" : "tls.sni.none");
        return;
      case "not_tls":
        this.handOff(undefined, "tls.sni.not_tls");
        return;
      case "too_big":
        this.handOff(undefined, "tls.sni.too_big");
        return;
    }
  }

  /** Route and become a TCP relay; the bytes held so far go first. */
  private handOff(serverName: string | undefined, counter: string): void {
    this.done = true;
    const rt = this.rt;
    rt.svc.cluster.count(counter);
    const pool = rt.sni ? rt.sni.route(serverName) : rt.cfg.pool;
    rt.conns.delete(this);
    if (this.sock.readyState <= 0) return;
    const relay = new TcpRelay(rt, this.sock as Socket<TcpRelay>, pool);
    this.sock.data = relay;
    rt.conns.add(relay);
    if (this.buf.length > 0) relay.onData(this.buf);
    this.buf = Buffer.alloc(0);
    if (this.eof) relay.onEof();
  }

  onDrain(): void {}

  onEof(): void {
    // A client that stops sending before a whole ClientHello still gets relayed what it sent.
    this.eof = true;
    if (!this.done) this.handOff(undefined, this.buf.length === 0 ? "tls.sni.empty" : "tls.sni.not_tls");
  }

  onClose(): void {
    this.done = true;
    this.rt.conns.delete(this);
  }

  onDeadline(_now: number): void {
    // No whole ClientHello in client_header_timeout: the default pool gets what arrived.
    if (this.done) return;
    this.rt.svc.cluster.count("timeout.client_hello");
    this.handOff(undefined, "tls.sni.timeout");
  }

  drain(): void {
    this.destroy();
  }

  destroy(): void {
    this.done = true;
    this.rt.conns.delete(this);
    this.sock.terminate();
  }
}
