// The front door of a unix control socket: accepts each connection itself (node:net, which gives the
// socket's fd), reads the peer's real credentials with SO_PEERCRED, and relays the bytes to the
// WebSocket server on a private socket, adding one header line that carries those credentials and a
// secret only this process knows. Bun.serve gives no access to a connection's fd; this is how the
// server learns who connected without trusting what the client declares.

import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import net from "node:net";
import { type PeerCred, peerCred } from "../sys/libc.ts";

/** The header the gate adds: `<secret> <uid> <gid> <pid>`. */
export const PEER_HEADER = "x-tcpvs-peer";
/** A request line longer than this is not ours to relay. */
const MAX_REQUEST_LINE = 8192;
/** Connections the gate holds at most (the server behind it caps WebSockets at 64). */
const MAX_GATE_CONNECTIONS = 128;
/** A connection must send its request line within this time. */
const REQUEST_LINE_MS = 5000;

export interface GateOptions {
  /** Where clients connect. */
  publicPath: string;
  /** The WebSocket server's private socket (in a 0700 directory). */
  privatePath: string;
  /** Called for a connection refused (no credentials, too many open); it is closed. */
  onRefuse?: (why: string) => void;
  /** Connections held at most (128). */
  maxConnections?: number;
  /** Time to send the request line (5000 ms). */
  requestLineMs?: number;
}

/** The credentials carried by the gate's header, or undefined when the header is not the gate's. */
export function credFromHeader(value: string | null, secret: string): PeerCred | undefined {
  // A client may send the same header name: Bun joins repeats with ", ". Only the gate knows the secret.
  for (const part of (value ?? "").split(",")) {
    const [s, uid, gid, pid] = part.trim().split(" ");
    if (s === secret && uid && gid && pid) return { uid: Number(uid), gid: Number(gid), pid: Number(pid) };
  }
  return undefined;
}

export class PeerCredGate {
  readonly secret = randomBytes(16).toString("hex");
  private server: net.Server | undefined;
  private readonly o: GateOptions;
  private readonly sockets = new Set<net.Socket>();

  constructor(o: GateOptions) {
    this.o = o;
  }

  /** A private directory for the WebSocket server's socket, only ours. */
  static privateDir(publicPath: string): string {
    const dir = `${publicPath}.d`;
    if (!existsSync(dir)) mkdirSync(dir, { mode: 0o700 });
    return dir;
  }

  listen(): Promise<void> {
    this.server = net.createServer((client) => this.accept(client));
    return new Promise((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(this.o.publicPath, () => resolve());
    });
  }

  private accept(client: net.Socket): void {
    const fd = (client as unknown as { _handle?: { fd?: number } })._handle?.fd;
    let cred: PeerCred;
    try {
      if (typeof fd !== "number" || fd < 0) throw new Error("no file descriptor for the connection");
      cred = peerCred(fd);
    } catch (e) {
      this.o.onRefuse?.(e instanceof Error ? e.message : String(e));
      client.destroy();
      return;
    }
    const max = this.o.maxConnections ?? MAX_GATE_CONNECTIONS;
    if (this.sockets.size >= max) {
      this.o.onRefuse?.(`${max} connections open already`);
      client.destroy();
      return;
    }
    this.sockets.add(client);
    let head = Buffer.alloc(0);
    const upstream = net.connect(this.o.privatePath);
    // One side going ends the other: no half-relays left holding descriptors.
    const slow = setTimeout(() => client.destroy(), this.o.requestLineMs ?? REQUEST_LINE_MS);
    client.once("close", () => {
      clearTimeout(slow);
      this.sockets.delete(client);
      upstream.destroy();
    });
    upstream.once("close", () => client.destroy());
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const eol = head.indexOf("\r\n");
      if (eol < 0) {
        if (head.length > MAX_REQUEST_LINE) client.destroy();
        return;
      }
      client.off("data", onData);
      clearTimeout(slow);
      client.pause();
      const line = `${PEER_HEADER}: ${this.secret} ${cred.uid} ${cred.gid} ${cred.pid}\r\n`;
      upstream.write(Buffer.concat([head.subarray(0, eol + 2), Buffer.from(line), head.subarray(eol + 2)]));
      // pipe() pauses one side while the other cannot take more: no unbounded buffering.
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    };
    client.on("data", onData);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
    rmSync(`${this.o.publicPath}.d`, { recursive: true, force: true });
  }
}
