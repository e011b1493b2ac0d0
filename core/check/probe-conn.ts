// A small promise-shaped TCP (or TLS) client for checks: connect under one deadline, write, and wait
// until the bytes received so far satisfy a reader. Every wait ends: on the reader's answer, on end of
// stream, on a socket error, or when the deadline fires and the socket is torn down.

import type { Socket } from "bun";
import { type BoundSocket, boundConnect } from "./bound-connect.ts";
import { CheckFailure, type CheckTarget, timedOut } from "./types.ts";

export interface TlsChoice {
  /** SNI and the name the certificate is checked against. */
  serverName?: string;
  verify: boolean;
  /** PEM text: trusted CAs, and a client certificate with its key (a TLS pool's). */
  ca?: string;
  cert?: string;
  key?: string;
}

/** Return a value when `buf` holds enough; `eof` says no more bytes will come. */
export type Reader<T> = (buf: Uint8Array, eof: boolean) => T | undefined;

/** Cap on buffered bytes: a check never needs more, and a huge reply must not eat memory. */
const MAX_BUFFER = 4 * 1024 * 1024;

export class ProbeConn {
  private socket: Pick<BoundSocket, "write" | "terminate"> | undefined;
  private chunks: Uint8Array[] = [];
  private size = 0;
  private eof = false;
  private failure: Error | undefined;
  private handshaken = false;
  private wake: (() => void) | undefined;
  private timer: ReturnType<typeof setTimeout>;

  private constructor(timeoutMs: number) {
    this.timer = setTimeout(() => this.fail(timedOut(timeoutMs)), timeoutMs);
  }

  /** Connect; the whole exchange that follows shares the same `timeoutMs` deadline. */
  static async open(target: CheckTarget, timeoutMs: number, tls?: TlsChoice): Promise<ProbeConn> {
    const c = new ProbeConn(timeoutMs);
    const handler = {
      data: (_s: Socket<undefined>, d: Buffer) => c.push(d),
      end: () => c.finish(),
      close: (_s: Socket<undefined>, err?: Error) => (err ? c.fail(err) : c.finish()),
      error: (_s: Socket<undefined>, err: Error) => c.fail(err),
      connectError: (_s: Socket<undefined>, err: Error) => c.fail(err),
      handshake: (_s: Socket<undefined>, ok: boolean, err: Error | null) => {
        if (tls?.verify && !ok) c.fail(new CheckFailure(`TLS: ${err?.message ?? "certificate rejected"}`));
        c.handshaken = true;
        c.notify();
      },
    };
    const tlsOpt = tls
      ? {
          serverName: tls.serverName,
          rejectUnauthorized: tls.verify,
          ca: tls.ca,
          cert: tls.cert,
          key: tls.key,
        }
      : undefined;
    const connecting: Promise<Pick<BoundSocket, "write" | "terminate">> =
      target.kind === "unix"
        ? Bun.connect({ unix: target.path, socket: handler, tls: tlsOpt })
        : target.bind
          ? boundConnect(target.host, target.port, target.bind, tls, {
              data: (d) => c.push(d),
              end: () => c.finish(),
              fail: (e) => c.fail(e),
              handshake: (ok, err) => handler.handshake(undefined as never, ok, err),
            })
          : Bun.connect({ hostname: target.host, port: target.port, socket: handler, tls: tlsOpt });
    const opened = connecting.then(
      (s) => {
        c.socket = s;
        if (c.failure) s.terminate();
      },
      (e: Error) => c.fail(e),
    );
    await Promise.race([opened, c.waitChange()]);
    c.throwIfFailed();
    if (!c.socket) {
      await opened;
      c.throwIfFailed();
    }
    // Bun drops writes made before the TLS handshake ends, so wait for it.
    while (tls && !c.handshaken) {
      await c.waitChange();
      c.throwIfFailed();
      if (c.eof) throw new CheckFailure("TLS: closed during handshake");
    }
    return c;
  }

  write(data: string | Uint8Array): void {
    this.throwIfFailed();
    // Check payloads are small: the kernel takes them whole, so no drain handling is needed.
    this.socket?.write(data);
  }

  /** Wait until `reader` returns a value; throws on error, timeout, or end of stream it did not accept. */
  async read<T>(reader: Reader<T>): Promise<T> {
    for (;;) {
      const buf = this.bytes();
      // After a failure (timeout, reset) the stream did not end cleanly: do not report it as an end.
      const got = reader(buf, this.eof && !this.failure);
      if (got !== undefined) return got;
      this.throwIfFailed();
      if (this.eof) throw new CheckFailure("closed by server");
      await this.waitChange();
    }
  }

  bytes(): Uint8Array {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? new Uint8Array(0);
  }

  close(): void {
    clearTimeout(this.timer);
    if (!this.failure) this.failure = new CheckFailure("closed");
    this.socket?.terminate();
    this.socket = undefined;
  }

  private waitChange(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private push(d: Uint8Array): void {
    if (this.size + d.length > MAX_BUFFER) {
      this.fail(new CheckFailure("reply too large"));
      return;
    }
    this.chunks.push(d);
    this.size += d.length;
    this.notify();
  }

  private finish(): void {
    this.eof = true;
    this.notify();
  }

  private fail(e: Error): void {
    if (!this.failure) this.failure = e;
    clearTimeout(this.timer);
    this.socket?.terminate();
    this.notify();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}
